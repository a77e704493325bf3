package api

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/winnow-forensics/winnow/triage"
)

// The password policy, for people who log in to the web UI: at least
// MinPasswordLen characters, at least 5 different ones, not containing
// the user's name, and not one of 10,000 common passwords, on its own or
// with digits, symbols or spaces around it ("password1234", "!monkey!").
// Length beats composition rules (NIST SP 800-63B); a passphrase of
// four unrelated words passes.

//go:embed passwords/common.txt
var commonPasswordList string

var commonPasswords = sync.OnceValue(func() map[string]bool {
	m := make(map[string]bool, 10000)
	for _, p := range strings.Split(commonPasswordList, "\n") {
		if p != "" {
			m[p] = true
		}
	}
	return m
})

// CheckPasswordPolicy reports why a password may not be used by user
// name, or nil.
func CheckPasswordPolicy(password, name string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLen:
		return triage.Errorf(triage.EINVALID, "the password has %d characters: use at least %d (a few unrelated words make a good one)", n, MinPasswordLen)
	case len(password) > 1024:
		return triage.Errorf(triage.EINVALID, "the password is longer than 1024 bytes")
	case !utf8.ValidString(password):
		return triage.Errorf(triage.EINVALID, "the password is not valid UTF-8")
	}
	distinct := map[rune]bool{}
	for _, r := range password {
		distinct[unicode.ToLower(r)] = true
	}
	if len(distinct) < 5 {
		return triage.Errorf(triage.EINVALID, "the password uses only %d different characters: use at least 5", len(distinct))
	}
	lower := strings.ToLower(password)
	if name = strings.ToLower(name); len(name) >= 3 && strings.Contains(lower, name) {
		return triage.Errorf(triage.EINVALID, "the password contains the user name")
	}
	core := strings.TrimFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	switch {
	case core == "":
		return triage.Errorf(triage.EINVALID, "the password has no letters: digits and symbols alone are guessed first")
	case commonPasswords()[lower] || commonPasswords()[core]:
		return triage.Errorf(triage.EINVALID, "the password is a common password, or one with digits or symbols added: choose another")
	}
	return nil
}
