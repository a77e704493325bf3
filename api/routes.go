package api

import (
	"github.com/gin-gonic/gin"

	"github.com/winnow-forensics/winnow/triage"
)

// route is one endpoint: method, gin path, the permission it needs ("" for
// the unauthenticated endpoints), its case rule and its handler.
type route struct {
	method  string
	path    string
	perm    triage.Permission
	scope   scope
	handler gin.HandlerFunc
}

// scope is a route's row of the authorization matrix: how the service
// finds the case a request touches, and so what a user who is not on that
// case gets. The permission decides first: a role without it gets 403
// everywhere. Then administrators and auditors see every case
// (triage.SeesEveryCase; an auditor's role grants records only), and
// every other role only the cases it is a member of.
//
// Adding a route: give it the permission and the scope of the object its
// path names; authorize enforces the scope before the handler runs, and
// cmd/winnow's TestAuthorizationMatrix calls the route as every role,
// member and non-member, and checks the statuses the row declares
// (scope.String says which). The zero scope is no row: the test fails.
type scope int

const (
	_ scope = iota
	// public routes need no authentication (health, the UI shell, login).
	public
	// global routes are not about one case: the permission alone decides.
	// Lists they return are filtered to the user's cases.
	global
	// byCase routes name a case (:case): non-members get 404, as for a
	// case that does not exist.
	byCase
	// newCase is PUT of a case: anyone with the permission may create a
	// case (and becomes its member); a case that exists needs membership
	// (403: the name is taken).
	newCase
	// byItem routes name an item (:id): 404 unless its case is visible.
	byItem
	// byEvidence routes name content (:sha256): 404 unless an item with
	// it is in a visible case.
	byEvidence
	// byGroup and byMember routes name a review group or member (:id):
	// 404 unless one of its items is in a visible case.
	byGroup
	byMember
)

// routes is every endpoint of the service, in one table. The OpenAPI
// document (openapi.json) lists exactly these; a test keeps them equal.
func (s *Server) routes() []route {
	return []route{
		{"GET", "/healthz", "", public, s.handleHealthz},
		{"GET", "/readyz", "", public, s.handleReadyz},
		{"GET", "/metrics", triage.PermAudit, global, s.handleMetrics},
		{"GET", "/api/v1/openapi.json", triage.PermAnyRole, global, s.handleOpenAPI},
		{"GET", "/api/v1/me", triage.PermAnyRole, global, s.handleMe},

		{"GET", "/api/v1/cases", triage.PermRead, global, s.handleListCases},
		{"GET", "/api/v1/cases/:case", triage.PermRead, byCase, s.handleGetCase},
		{"PUT", "/api/v1/cases/:case", triage.PermUpload, newCase, s.handlePutCase},
		{"GET", "/api/v1/cases/:case/exhibits", triage.PermRead, byCase, s.handleListExhibits},
		{"GET", "/api/v1/cases/:case/exhibits/:exhibit", triage.PermRead, byCase, s.handleGetExhibit},
		{"PUT", "/api/v1/cases/:case/exhibits/:exhibit", triage.PermUpload, byCase, s.handlePutExhibit},
		{"GET", "/api/v1/cases/:case/exhibits/:exhibit/status", triage.PermRead, byCase, s.handleExhibitStatus},
		{"GET", "/api/v1/cases/:case/exhibits/:exhibit/items", triage.PermRead, byCase, s.handleListItems},
		{"PUT", "/api/v1/cases/:case/exhibits/:exhibit/items", triage.PermUpload, byCase, s.handlePutItem},
		{"POST", "/api/v1/cases/:case/exhibits/:exhibit/items", triage.PermUpload, byCase, s.handlePostItems},
		{"GET", "/api/v1/cases/:case/exhibits/:exhibit/report", triage.PermExport, byCase, s.handleExhibitReport},

		{"GET", "/api/v1/items/:id", triage.PermMetadata, byItem, s.handleGetItem},
		{"GET", "/api/v1/items/:id/content", triage.PermMedia, byItem, s.handleItemContent},
		{"GET", "/api/v1/items/:id/thumbnail", triage.PermMedia, byItem, s.handleItemThumbnail},
		{"GET", "/api/v1/items/:id/preview", triage.PermMedia, byItem, s.handleItemPreview},
		{"HEAD", "/api/v1/evidence/:sha256", triage.PermRead, byEvidence, s.handleEvidenceLookup},
		{"GET", "/api/v1/evidence/:sha256", triage.PermRead, byEvidence, s.handleEvidenceLookup},

		{"GET", "/api/v1/hashsets", triage.PermRead, global, s.handleListSets},
		{"GET", "/api/v1/hashsets/:name", triage.PermRead, global, s.handleGetSet},
		{"PUT", "/api/v1/hashsets/:name", triage.PermSets, global, s.handlePutSet},
		{"PATCH", "/api/v1/hashsets/:name", triage.PermSets, global, s.handlePatchSet},
		{"POST", "/api/v1/hashsets/:name/entries", triage.PermSets, global, s.handleAddSetEntries},
		{"GET", "/api/v1/hashsets/:name/export", triage.PermExport, global, s.handleExportSet},

		{"GET", "/api/v1/users", triage.PermAdmin, global, s.handleListUsers},
		{"POST", "/api/v1/users", triage.PermAdmin, global, s.handleCreateUser},
		{"PATCH", "/api/v1/users/:name", triage.PermAdmin, global, s.handlePatchUser},
		{"POST", "/api/v1/users/:name/tokens", triage.PermAdmin, global, s.handleCreateToken},
		{"GET", "/api/v1/tokens", triage.PermAdmin, global, s.handleListTokens},
		{"DELETE", "/api/v1/tokens/:id", triage.PermAdmin, global, s.handleRevokeToken},
		{"GET", "/api/v1/audit", triage.PermAudit, global, s.handleListAudit},

		// The review queue and the web UI (issue 6).
		{"GET", "/", "", public, s.handleRoot},
		{"GET", "/ui/*path", "", public, s.handleUI},
		{"POST", "/api/v1/login", "", public, s.handleLogin},
		{"POST", "/api/v1/logout", triage.PermAnyRole, global, s.handleLogout},
		{"GET", "/api/v1/session", triage.PermAnyRole, global, s.handleSession},
		{"POST", "/api/v1/me/password", triage.PermAnyRole, global, s.handleChangePassword},
		{"POST", "/api/v1/me/logout-all", triage.PermAnyRole, global, s.handleLogoutAll},
		{"GET", "/api/v1/me/settings", triage.PermAnyRole, global, s.handleGetSettings},
		{"PUT", "/api/v1/me/settings", triage.PermAnyRole, global, s.handlePutSettings},
		{"GET", "/api/v1/me/exposure", triage.PermAnyRole, global, s.handleGetExposure},
		// The item of a reveal is checked by the handler (it is in the body).
		{"POST", "/api/v1/me/exposure", triage.PermMedia, global, s.handleAddExposure},
		{"POST", "/api/v1/me/exposure/break", triage.PermAnyRole, global, s.handleTakeBreak},
		{"GET", "/api/v1/cases/:case/members", triage.PermAdmin, byCase, s.handleCaseMembers},
		{"PUT", "/api/v1/cases/:case/members/:user", triage.PermAdmin, byCase, s.handlePutCaseMember},
		{"DELETE", "/api/v1/cases/:case/members/:user", triage.PermAdmin, byCase, s.handleDeleteCaseMember},
		{"GET", "/api/v1/cases/:case/review/export", triage.PermExport, byCase, s.handleReviewExport},
		{"GET", "/api/v1/review/config", triage.PermReview, global, s.handleReviewConfig},
		{"GET", "/api/v1/review/lanes", triage.PermReview, global, s.handleReviewLanes},
		{"GET", "/api/v1/review/queue", triage.PermReview, global, s.handleReviewQueue},
		{"GET", "/api/v1/review/tiles", triage.PermReview, global, s.handleReviewTiles},
		{"GET", "/api/v1/review/groups/:id", triage.PermReview, byGroup, s.handleReviewGroup},
		{"POST", "/api/v1/review/groups/:id/claim", triage.PermReview, byGroup, s.handleClaimGroup},
		{"POST", "/api/v1/review/groups/:id/heartbeat", triage.PermReview, byGroup, s.handleHeartbeat},
		{"POST", "/api/v1/review/groups/:id/release", triage.PermReview, byGroup, s.handleReleaseGroup},
		{"POST", "/api/v1/review/groups/:id/decision", triage.PermReview, byGroup, s.handleDecideGroup},
		{"POST", "/api/v1/review/groups/:id/undo", triage.PermReview, byGroup, s.handleUndo},
		{"GET", "/api/v1/review/items/:id", triage.PermReview, byItem, s.handleReviewItem},
		{"POST", "/api/v1/review/items/:id/decision", triage.PermReview, byItem, s.handleDecideItem},
		{"GET", "/api/v1/review/members/:id/votes", triage.PermAdjudicate, byMember, s.handleMemberVotes},
		{"POST", "/api/v1/review/members/:id/overturn", triage.PermAdjudicate, byMember, s.handleOverturn},
		{"GET", "/api/v1/review/localset", triage.PermReview, global, s.handleLocalSet},
	}
}
