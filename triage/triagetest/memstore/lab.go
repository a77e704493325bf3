package memstore

import "time"

// Lab is every metadata store of the lab in memory, wired together as
// storage/postgres's one Store is: finished items enter the review queue,
// the case boundary sees its groups, confirmed content is promoted into
// Sets, and every audited change goes to Audit. Users is also the session
// store.
type Lab struct {
	Cases    *Cases
	Items    *Items
	Users    *Users
	Audit    *Audit
	Sets     *Sets
	Access   *Access
	Reviews  *Reviews
	Wellness *Wellness
}

// New returns an empty lab whose clock is now (nil: the time of day).
func New(now func() time.Time) *Lab {
	au := &Audit{Now: now}
	l := &Lab{Cases: &Cases{Now: now}, Audit: au, Users: &Users{Audit: au, Now: now}, Sets: &Sets{Audit: au, Now: now},
		Wellness: &Wellness{Audit: au, Now: now}}
	l.Items = &Items{Cases: l.Cases, Audit: au, Now: now}
	l.Access = &Access{Cases: l.Cases, Users: l.Users, Items: l.Items, Audit: au}
	l.Reviews = &Reviews{Cases: l.Cases, Items: l.Items, Users: l.Users, Access: l.Access, Sets: l.Sets, Audit: au, Now: now}
	l.Items.Reviews, l.Access.Reviews = l.Reviews, l.Reviews
	return l
}
