/*
 * household.c — the one judging entry point of a household for every
 * caller (the nightly run, `hedui lookup`, `hedui serve`): hd_judge, and
 * the run's rule for a household that no standard applies to.
 */
#include <string.h>
#include "hedui/rules.h"

int hd_judge_household(const hd_policy *p, hd_model *m, uint32_t h, hd_date as_of,
                       int source_damaged, hd_judgement *out, int *unjudged, hd_error *err)
{
    hd_error jerr;
    *unjudged = 0;
    int rc = hd_judge(p, m, h, as_of, source_damaged, out, &jerr);
    if (rc == HD_OK) return HD_OK;
    if (rc != HD_EDATA) { if (err) *err = jerr; return rc; }
    /* no standard applies: only a household none of whose rows could be
     * used has no valid county (the loader quarantines rows of a county
     * without a standard); it cannot be judged, so it goes to review */
    const hd_household *hh = &m->households[h];
    memset(out, 0, sizeof *out);
    out->findings = 1u << HD_FD_APPLICANT_ROW_REJECTED;
    if (source_damaged) out->findings |= 1u << HD_FD_SOURCE_INCOMPLETE;
    /* SPEC §7: what the batch learnt of its evidence still shows */
    if (hh->flags & HD_HF_EVIDENCE_UNREADABLE) out->findings |= 1u << HD_FD_EVIDENCE_UNREADABLE;
    if (hh->flags & HD_HF_ID_SUSPECT) out->findings |= 1u << HD_FD_ID_SUSPECT;
    if (hh->flags & HD_HF_APPLICATION_ID_REUSED) out->findings |= 1u << HD_FD_APPLICATION_ID_REUSED;
    if ((hh->flags & HD_HF_NEAR_MISS) && p->type[hd_judging_type(hh)].outcome[HD_FD_NEAR_MISS] != HD_OUT_IGNORE)
        out->findings |= 1u << HD_FD_NEAR_MISS;
    const hd_type_policy *tp = &p->type[hd_judging_type(hh)];
    out->verdict = (hd_verdict)tp->outcome[HD_FD_APPLICANT_ROW_REJECTED];
    if (source_damaged && tp->outcome[HD_FD_SOURCE_INCOMPLETE] > out->verdict)
        out->verdict = (hd_verdict)tp->outcome[HD_FD_SOURCE_INCOMPLETE];
    *unjudged = !hh->row_rejected;
    if (err) *err = jerr;
    return HD_OK;
}
