// zlib (Debian: zlib1g-dev), through which probe inflates zip entries: no hand-written inflate.
#include <zlib.h>
