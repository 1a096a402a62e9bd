/* fuzz_replay_main.c - runs a fuzz target's LLVMFuzzerTestOneInput() once on each file named on
 * the command line, without libFuzzer, so that a target's corpus can be replayed by any compiler
 * in the ordinary test suite (e.g. tests/prometheus/corpus_check.sh, which then hands what the
 * target dumped to the real parsers). Exit status 0, or 2 if a file cannot be read; a broken
 * invariant aborts, as under libFuzzer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) {
      perror(argv[i]);
      return 2;
    }
    uint8_t *data = NULL;
    size_t size = 0, capacity = 0, n;
    do {
      if (size == capacity) {
        capacity = capacity ? 2 * capacity : 4096;
        uint8_t *grown = realloc(data, capacity);
        if (!grown) {
          fclose(f);
          free(data);
          return 2;
        }
        data = grown;
      }
      n = fread(data + size, 1, capacity - size, f);
      size += n;
    } while (n > 0);
    fclose(f);
    LLVMFuzzerTestOneInput(data, size);
    free(data);
  }
  return 0;
}
