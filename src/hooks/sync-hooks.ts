// Whether this Node runs module.registerHooks()' synchronous load hook correctly: before
// nodejs/node#59929 (22.22.3, 24.11.1, 25.1.0, 26.0.0) it rejected the null source Node's own
// loader hands the chain for some CommonJS modules. import-in-the-middle makes the same version
// check in supports-sync-hooks.mjs, but loading that ES module costs about a millisecond at
// every start; test/sync-hooks.test.mjs keeps the two in agreement on each Node of the matrix.
// Owns that check only.

/** @param version a Node version, `major.minor.patch` (a nightly's suffix is ignored). */
export function supportsSyncHooks(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map((p) => Number.parseInt(p, 10));
  if (major >= 26) return true;
  if (major === 25) return minor >= 1;
  if (major === 24) return minor > 11 || (minor === 11 && patch >= 1);
  if (major === 22) return minor > 22 || (minor === 22 && patch >= 3);
  return false;
}
