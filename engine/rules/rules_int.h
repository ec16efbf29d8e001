/*
 * rules_int.h — what the files of engine/rules/ share and nobody else needs.
 */
#ifndef HEDUI_RULES_INT_H
#define HEDUI_RULES_INT_H

#include <stddef.h>
#include "hedui/rules.h"

/*
 * Parses the bytes of a standards.csv (SPEC §4: `code,year,
 * urban_month_yuan,rural_month_yuan`, header required) into p->standards,
 * sorted by (code, year). `path` names the file in messages.
 * @return HD_OK, HD_ECONFIG "PATH:LINE: reason", or HD_ESOFTWARE.
 */
int hd_standards_parse(hd_policy *p, const char *path, const char *buf,
                       size_t len, hd_error *err);

#endif
