/**
 * The peer libraries timed beside the generated kernels in the same runner: each is loaded at run time with dlopen (no
 * link-time dependency), reported as missing when absent, and reports the kernel or ISA it selected.
 */
export const PEERS = ["openblas", "blis", "onednn"] as const;
export type PeerName = (typeof PEERS)[number];

/** A peer in a results file: loaded or not, the kernel or ISA it selected, how it was called. */
export interface PeerStatus {
  readonly available: boolean;
  readonly core?: string;
  readonly note: string;
}

export interface PeerInfo {
  /** Code of the peer in the runner's kernel table (0 is a generated kernel). */
  readonly code: number;
  readonly library: string;
  readonly call: string;
  /** The Debian package that provides it. */
  readonly debian: string;
}

export const PEER_INFO: Readonly<Record<PeerName, PeerInfo>> = {
  openblas: { code: 1, library: "libopenblas.so.0", call: "cblas_sgemm", debian: "libopenblas-dev" },
  blis: { code: 2, library: "libblis.so.4", call: "cblas_sgemm (BLIS's CBLAS layer)", debian: "libblis-dev" },
  onednn: { code: 3, library: "libdnnl.so.2", call: "dnnl_sgemm", debian: "libdnnl-dev" },
};

export function isPeer(name: string): name is PeerName {
  return (PEERS as readonly string[]).includes(name);
}

/** The runner's failure reason when a peer's library cannot be loaded (matched to report the peer as missing). */
export function peerMissingReason(peer: PeerName): string {
  const p = PEER_INFO[peer];
  return `${peer} not found (${p.library}); install ${p.debian}`;
}
