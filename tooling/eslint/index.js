// Shared flat config: typescript-eslint's type-checked presets plus the project's boundary rules.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

/** @param {string} tsconfigRootDir the directory of the package being linted */
export function kpuConfig(tsconfigRootDir) {
  return defineConfig(
    { name: "kpu/ignores", ignores: ["dist/**", "coverage/**", "**/*.js", "**/*.mjs", "**/*.cjs"] },
    { name: "kpu/js", ...js.configs.recommended },
    ...tseslint.configs.strictTypeChecked.map((c) => ({ ...c, name: `kpu/ts/${c.name ?? "preset"}` })),
    {
      name: "kpu/parser",
      languageOptions: {
        parserOptions: { projectService: true, tsconfigRootDir },
      },
    },
    {
      name: "kpu/rules",
      rules: {
        "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
        "@typescript-eslint/no-unnecessary-condition": ["error", { allowConstantLoopConditions: true }],
        "@typescript-eslint/consistent-type-imports": "error",
        "@typescript-eslint/no-non-null-assertion": "off",
        "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
        "no-restricted-imports": [
          "error",
          {
            patterns: [
              {
                group: ["@kpu/*/src/*", "@kpu/*/src", "@kpu/*/dist/*", "../../*/src/*"],
                message: "Import another package through its public entry point (@kpu/<name>), not its internals.",
              },
            ],
          },
        ],
      },
    },
    {
      name: "kpu/tests",
      files: ["test/**/*.ts", "bench/**/*.ts"],
      rules: {
        "@typescript-eslint/no-floating-promises": "off",
        "@typescript-eslint/no-confusing-void-expression": "off",
        // Vitest's asymmetric matchers (expect.objectContaining, expect.any) are typed `any`.
        "@typescript-eslint/no-unsafe-argument": "off",
        "@typescript-eslint/no-unsafe-assignment": "off",
      },
    },
  );
}
