#ifndef CBUILDINFO_H
#define CBUILDINFO_H

/// The version scripts/build-release stamped into this build (from `git describe` and VERSION),
/// or "" in a build it did not make (`swift build`, `swift run`): ProbeVersion then says VERSION's.
const char *probe_build_version(void);

#endif
