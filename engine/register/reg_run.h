/*
 * reg_run.h — the register's part in a run (SPEC §9): the snapshot read
 * at the start, then the findings of every household with their finding
 * ids, evidence digests, strength and suppression, into the finished run
 * (report/regpart.h, which the writers read). Called by batch.c only.
 */
#ifndef HEDUI_REGISTER_REG_RUN_H
#define HEDUI_REGISTER_REG_RUN_H
#include "report/regpart.h"

/* At the start of a run, after the job and the key are loaded: the
 * register's path ([job] register, default OUTPUT/register.db), its key and
 * its snapshot (read once). @return HD_OK, HD_ECONFIG (newer schema),
 * HD_ETEMPFAIL, HD_EIO, HD_ESOFTWARE. */
int hd_reg_begin(hd_results *st, hd_error *err);
/* After every household is judged: findings, strength, suppression; the
 * kept judgements' findings and verdicts are updated. @return HD_OK,
 * HD_ESOFTWARE. */
int hd_reg_judge(hd_results *st, hd_error *err);
void hd_reg_free(hd_results *st);
#endif
