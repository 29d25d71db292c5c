#include "CBuildInfo.h"

/* scripts/build-release writes generated_version.h (PROBE_BUILD_VERSION) next to this file for
   the length of its build, then removes it; it is never committed. */
#if __has_include("generated_version.h")
#include "generated_version.h"
#endif

const char *probe_build_version(void) {
#ifdef PROBE_BUILD_VERSION
    return PROBE_BUILD_VERSION;
#else
    return "";
#endif
}
