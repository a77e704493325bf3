package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/winnow-forensics/winnow/triage"
)

// Corrections of review decisions: a reviewer undoes their own decisions
// while they hold the group, an adjudicator overturns a confirmed one. In
// both the local hash set follows: an entry promoted by a decision that no
// longer holds is withdrawn in the next set version.

// decisionRow is the recorded decision on a member and where it was
// promoted.
type decisionRow struct {
	d     triage.ReviewDecision
	setID *int64
	entry *int64
}

// decisionOf locks and returns a member's decision (ok false when it has
// none).
func decisionOf(ctx context.Context, tx pgx.Tx, memberID int64) (decisionRow, bool, error) {
	var r decisionRow
	var cat string
	err := tx.QueryRow(ctx, `SELECT category, reviewers, adjudicator, decided_at, set_id, set_entry FROM review_decisions
		WHERE member_id = $1 FOR UPDATE`, memberID).Scan(&cat, &r.d.Reviewers, &r.d.Adjudicator, &r.d.DecidedAt, &r.setID, &r.entry)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, err
	}
	r.d.Category, err = triage.SplitCategory(cat)
	return r, true, err
}

// withdrawOf is the withdrawal of a decision's entry, if it was promoted
// into the set setName.
func withdrawOf(ctx context.Context, tx pgx.Tx, r decisionRow, setName, reason string) ([]withdrawal, error) {
	if r.entry == nil || r.setID == nil {
		return nil, nil
	}
	var name string
	if err := tx.QueryRow(ctx, `SELECT name FROM hash_sets WHERE id = $1`, *r.setID).Scan(&name); err != nil {
		return nil, err
	}
	if name != setName {
		return nil, triage.Errorf(triage.ECONFLICT, "the decision was promoted into hash set %q, not the configured local set %q: withdraw it there", name, setName)
	}
	return []withdrawal{{entry: *r.entry, reason: reason}}, nil
}

// Undo implements triage.ReviewStore.
func (s *Store) Undo(ctx context.Context, r triage.UndoRequest) (triage.UndoResult, error) {
	var res triage.UndoResult
	v := triage.ViewerOf(r.Reviewer)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		res = triage.UndoResult{}
		since, err := s.holdGroup(ctx, tx, v, r.GroupID, false, 0, s.now())
		if err != nil {
			return err
		}
		all, err := groupMembers(ctx, tx, v, r.GroupID)
		if err != nil {
			return err
		}
		chosen := all
		if r.Members != nil {
			if chosen, err = pick(all, r.Members, r.GroupID); err != nil {
				return err
			}
		}
		ids := make([]int64, len(chosen))
		for i, m := range chosen {
			ids[i] = m.id
		}
		mine, err := s.votesIn(ctx, tx, `v.member_id = ANY($1) AND v.reviewer_id = $2`, ids, v.UserID)
		if err != nil {
			return err
		}
		var ws []withdrawal
		for _, m := range chosen {
			k := -1
			for i, vt := range mine {
				if vt.memberID == m.id && !vt.At.Before(since) {
					k = i
				}
			}
			if k < 0 {
				continue
			}
			undone := mine[k]
			if _, err := tx.Exec(ctx, `DELETE FROM review_votes WHERE member_id = $1 AND reviewer_id = $2 AND kind = $3`,
				m.id, v.UserID, undone.kind); err != nil {
				return err
			}
			rest, err := s.votesIn(ctx, tx, `v.member_id = $1 AND $2`, m.id, true)
			if err != nil {
				return err
			}
			dec, decided, err := decisionOf(ctx, tx, m.id)
			if err != nil {
				return err
			}
			status := triage.MemberAdjudication
			o := triage.Tally(plainVotes(rest), r.Required)
			if undone.kind == "vote" {
				if decided && dec.d.Adjudicator != "" {
					return triage.Errorf(triage.ECONFLICT, "content %s was decided by adjudicator %s since your vote: ask them to overturn it", m.sha, dec.d.Adjudicator)
				}
				status = o.Status
			}
			out := triage.MemberOutcome{MemberID: m.id, SHA256: m.sha, Status: status, Needed: o.Needed, Entry: -1}
			if decided && status != triage.MemberConfirmed {
				w, err := withdrawOf(ctx, tx, dec, r.LocalSet, "undone by "+v.Name)
				if err != nil {
					return err
				}
				ws = append(ws, w...)
				if _, err := tx.Exec(ctx, `DELETE FROM review_decisions WHERE member_id = $1`, m.id); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, `UPDATE review_members SET status = $2 WHERE id = $1`, m.id, string(status)); err != nil {
				return err
			}
			res.Outcomes = append(res.Outcomes, out)
		}
		if len(res.Outcomes) == 0 {
			return triage.Errorf(triage.ECONFLICT, "nothing to undo: you decided nothing in review group %d since you claimed it at %s",
				r.GroupID, since.UTC().Format(time.RFC3339))
		}
		if len(ws) > 0 {
			_, version, err := s.promote(ctx, tx, r.LocalSet, v.Name, nil, ws)
			if err != nil {
				return err
			}
			res.Version = version
			for _, w := range ws {
				res.Withdrawn = append(res.Withdrawn, w.entry)
			}
		}
		if _, err = tx.Exec(ctx, `UPDATE review_groups SET updated_at = $2 WHERE id = $1`, r.GroupID, s.now()); err != nil {
			return err
		}
		return recordAudits(ctx, s, tx, r.Audit, res)
	})
	if err != nil {
		return res, fmt.Errorf("undo: %w", formatError(err))
	}
	return res, nil
}

// Overturn implements triage.ReviewStore.
func (s *Store) Overturn(ctx context.Context, r triage.OverturnRequest) (triage.OverturnResult, error) {
	res := triage.OverturnResult{MemberID: r.MemberID, Category: r.Category.String(), Withdrawn: -1}
	v := triage.ViewerOf(r.Adjudicator)
	if !v.Adjudicator {
		return res, triage.Errorf(triage.EFORBIDDEN, "only adjudicators and administrators overturn decisions")
	}
	if r.Category.IsZero() {
		return res, triage.Errorf(triage.EINVALID, "an overturn needs the new category")
	}
	if err := triage.ValidateReason(r.Reason); err != nil {
		return res, err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var sum []byte
		var status string
		err := tx.QueryRow(ctx, `SELECT m.sha256, m.status FROM review_members m WHERE m.id = $3
			AND EXISTS (SELECT 1 FROM review_items ri WHERE ri.member_id = m.id AND `+visible+`) FOR UPDATE`,
			v.UserID, v.All, r.MemberID).Scan(&sum, &status)
		if errors.Is(err, pgx.ErrNoRows) {
			return triage.Errorf(triage.ENOTFOUND, "no review member %d that you may see", r.MemberID)
		} else if err != nil {
			return err
		}
		copy(res.SHA256[:], sum)
		dec, decided, err := decisionOf(ctx, tx, r.MemberID)
		if err != nil {
			return err
		}
		if status != string(triage.MemberConfirmed) || !decided {
			return triage.Errorf(triage.ECONFLICT, "content %s is %s: only a confirmed decision can be overturned", res.SHA256, status)
		}
		if dec.d.Category == r.Category {
			return triage.Errorf(triage.ECONFLICT, "content %s is already %s", res.SHA256, r.Category)
		}
		res.Previous = dec.d.Category.String()
		ws, err := withdrawOf(ctx, tx, dec, r.LocalSet, "overturned by "+v.Name+": "+r.Reason)
		if err != nil {
			return err
		}
		if len(ws) > 0 {
			res.Withdrawn = ws[0].entry
		}
		d := dec.d
		d.Category = r.Category
		entries, version, err := s.promote(ctx, tx, r.LocalSet, v.Name, []confirmedMember{{r.MemberID, res.SHA256, d}}, ws)
		if err != nil {
			return err
		}
		res.Entry, res.Version = entries[r.MemberID], version
		_, err = tx.Exec(ctx, `UPDATE review_decisions SET overturned_by = $2, overturn_reason = $3, previous_category = $4, overturned_at = $5
			WHERE member_id = $1`, r.MemberID, v.Name, r.Reason, res.Previous, s.now())
		if err != nil {
			return err
		}
		return recordAudits(ctx, s, tx, r.Audit, res)
	})
	if err != nil {
		return res, fmt.Errorf("overturn: %w", formatError(err))
	}
	return res, nil
}
