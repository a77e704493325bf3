package memstore

import (
	"context"
	"slices"
	"time"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/review"
)

// Corrections of review decisions, as storage/postgres's corrections.go:
// a reviewer undoes their own decisions while they hold the group, an
// adjudicator overturns a confirmed one; an entry promoted by a decision
// that no longer holds is withdrawn in the next local-set version.

// Undo implements triage.ReviewStore.
func (r *Reviews) Undo(_ context.Context, req triage.UndoRequest) (triage.UndoResult, error) {
	var res triage.UndoResult
	v := triage.ViewerOf(req.Reviewer)
	err := r.atomically(func() error {
		res = triage.UndoResult{}
		now := r.now()
		since, err := r.hold(v, req.GroupID, false, 0, now)
		if err != nil {
			return err
		}
		chosen := r.policyMembers(v, req.GroupID)
		if req.Members != nil {
			if chosen, err = review.Pick(chosen, req.Members, req.GroupID); err != nil {
				return err
			}
		}
		var ws []int64
		for _, m := range chosen {
			k := -1
			for i, vt := range r.st.votes {
				if vt.memberID == m.ID && vt.ReviewerID == v.UserID && review.Undoable(vt.At, since) {
					k = i
				}
			}
			if k < 0 {
				continue
			}
			undone := r.st.votes[k]
			r.st.votes = slices.DeleteFunc(r.st.votes, func(x rvote) bool {
				return x.memberID == m.ID && x.ReviewerID == v.UserID && x.adjudication == undone.adjudication
			})
			dec, decided := r.st.decisions[m.ID]
			u, err := review.AfterUndo(m.SHA256, undone.adjudication, plainVotes(r.votesOf(m.ID)), req.Required, decided, dec.d.Adjudicator)
			if err != nil {
				return err
			}
			if u.Withdraw {
				w, err := withdrawOf(dec, req.LocalSet)
				if err != nil {
					return err
				}
				ws = append(ws, w...)
				delete(r.st.decisions, m.ID)
			}
			r.member(m.ID).status = u.Outcome.Status
			res.Outcomes = append(res.Outcomes, triage.MemberOutcome{MemberID: m.ID, SHA256: m.SHA256, Status: u.Outcome.Status,
				Needed: u.Outcome.Needed, Entry: -1})
		}
		if len(res.Outcomes) == 0 {
			return triage.Errorf(triage.ECONFLICT, "nothing to undo: you decided nothing in review group %d since you claimed it at %s",
				req.GroupID, since.UTC().Format(time.RFC3339))
		}
		r.group(req.GroupID).updatedAt = now
		return r.promote(req.LocalSet, v.Name, nil, ws, func(version int, _ map[int64]int64) error {
			res.Version, res.Withdrawn = version, ws
			return recordOf(r.Audit, req.Audit, res)
		})
	})
	return res, err
}

// withdrawOf is the entry to withdraw of a decision, if it was promoted
// into the set setName. (PostgreSQL records why; no interface reads it.)
func withdrawOf(d rdecision, setName string) ([]int64, error) {
	if d.setName == "" {
		return nil, nil
	}
	if d.setName != setName {
		return nil, triage.Errorf(triage.ECONFLICT, "the decision was promoted into hash set %q, not the configured local set %q: withdraw it there", d.setName, setName)
	}
	return []int64{d.entry}, nil
}

// Overturn implements triage.ReviewStore.
func (r *Reviews) Overturn(_ context.Context, req triage.OverturnRequest) (triage.OverturnResult, error) {
	res := triage.OverturnResult{MemberID: req.MemberID, Category: req.Category.String(), Withdrawn: -1}
	v := triage.ViewerOf(req.Adjudicator)
	if err := review.CheckOverturn(v, req.Category, req.Reason); err != nil {
		return res, err
	}
	err := r.atomically(func() error {
		if req.MemberID < 1 || req.MemberID > int64(len(r.st.members)) || len(r.visibleItems(v, req.MemberID)) == 0 {
			return triage.Errorf(triage.ENOTFOUND, "no review member %d that you may see", req.MemberID)
		}
		m := r.member(req.MemberID)
		res.SHA256 = m.sha
		dec, decided := r.st.decisions[m.id]
		if err := review.CanOverturn(m.sha, m.status, decided, dec.d.Category, req.Category); err != nil {
			return err
		}
		res.Previous = dec.d.Category.String()
		ws, err := withdrawOf(dec, req.LocalSet)
		if err != nil {
			return err
		}
		if len(ws) > 0 {
			res.Withdrawn = ws[0]
		}
		d := dec.d
		d.Category = req.Category
		return r.promote(req.LocalSet, v.Name, []confirmedMember{{m.id, d}}, ws, func(version int, entries map[int64]int64) error {
			res.Entry, res.Version = entries[m.id], version
			rd := r.st.decisions[m.id]
			rd.d.Overturn = &triage.Overturn{By: v.Name, Reason: req.Reason, Previous: dec.d.Category, At: r.now()}
			r.st.decisions[m.id] = rd
			return recordOf(r.Audit, req.Audit, res)
		})
	})
	return res, err
}
