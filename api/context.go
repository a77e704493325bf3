package api

import (
	"context"

	"github.com/winnow-forensics/winnow/triage"
)

type contextKey int

const userKey contextKey = iota

// NewContextWithUser returns a context carrying the authenticated user.
func NewContextWithUser(ctx context.Context, u triage.User) context.Context {
	return context.WithValue(ctx, userKey, u)
}

// UserFromContext returns the authenticated user of a request's context.
func UserFromContext(ctx context.Context) (triage.User, bool) {
	u, ok := ctx.Value(userKey).(triage.User)
	return u, ok
}
