/* tag_key.h - the tag-key registry's hooks for the lifecycle (lifecycle.c). Keys live for the
 * process, so a fork child keeps them and shutdown frees none. */
#ifndef CENSUS_TAGS_TAG_KEY_H
#define CENSUS_TAGS_TAG_KEY_H

/* fork(): prepare takes the registry's lock; parent (and child: nothing to reset) release it. */
void census__tag_keys_fork_prepare(void);
void census__tag_keys_fork_parent(void);

#endif
