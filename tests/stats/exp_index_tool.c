/* exp_index_tool.c - prints census's exponential bucket index of each "scale value" line of
 * stdin (value as a C99 hex float, so it arrives bit for bit), one index per line: the side of
 * exp_index_check.py that is census. */
#include <stdio.h>
#include <stdlib.h>

#include "stats/exp_index.h"

int main(void) {
  char line[256];
  while (fgets(line, sizeof line, stdin)) {
    int scale;
    char text[200];
    if (sscanf(line, "%d %199s", &scale, text) != 2) {
      return 2;
    }
    double x = strtod(text, NULL);
    printf("%lld\n", (long long)census__exp_index(x, scale));
  }
  return 0;
}
