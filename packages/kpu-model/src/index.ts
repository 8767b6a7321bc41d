// Public API: filled in by this package's issue; see README.md.
export const PACKAGE_NAME = "@kpu/kpu-model";
