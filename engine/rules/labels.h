/*
 * labels.h — what the writers share of rules/labels.c beyond the public
 * names (include/hedui/rules.h, include/hedui/register.h).
 */
#ifndef HEDUI_RULES_LABELS_H
#define HEDUI_RULES_LABELS_H
#include <stdint.h>
#include "hedui/rules.h"

/* The findings of bit set `bits` in the order of their code names (the
 * order of every output), into out. @return how many. */
int hd_findings_sorted(uint32_t bits, hd_finding out[HD_FD__COUNT]);
#endif
