package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/winnow-forensics/winnow/storage/postgres"
	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/auditlog"
)

const auditDescription = `
Check and hand over the lab's tamper-evident audit log. Every event is
chained to the one before it by SHA-256, with a sequence number without
gaps; winnow serve signs the head of each chain with its Ed25519 key
(WINNOW_AUDIT_KEY) every WINNOW_AUDIT_CHECKPOINT_EVERY, so an edited, deleted
or truncated log is detected.

  winnow audit verify [--pubkey FILE] [--file EXPORT]
        walk every chain in the database (WINNOW_PG_URL, WINNOW_PG_SCHEMA), or
        an export file, and name the first event that does not verify; exit 1
        if one does not. The public key defaults to WINNOW_AUDIT_KEY's.
  winnow audit export [--out FILE]
        write the log with its hashes, checkpoints and public key (JSON Lines)
  winnow audit pubkey
        print the public key of WINNOW_AUDIT_KEY (PEM), to publish and to give
        with an export`

func runAudit(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(e.stderr, "Usage: winnow audit verify|export|pubkey [flags]\n%s\n", auditDescription)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	sub := args[0]
	fs := newFlagSet(e, "audit "+sub, "[flags]", auditDescription)
	pubFile := fs.String("pubkey", "", "public key (PEM) the checkpoints must be signed with (verify)")
	file := fs.String("file", "", "verify this export instead of the database (verify)")
	out := fs.String("out", "", "write the export here instead of stdout (export)")
	if _, err := parseArgs(fs, args[1:]); err != nil {
		return err
	}
	keyFile := (&envReader{get: e.getenv}).str("WINNOW_AUDIT_KEY", "")
	pub, err := auditPublicKey(*pubFile, keyFile)
	if err != nil {
		return err
	}
	switch sub {
	case "pubkey":
		if pub == nil {
			return triage.Errorf(triage.EINVALID, "set WINNOW_AUDIT_KEY to the service's key file")
		}
		der, _ := x509.MarshalPKIXPublicKey(pub)
		fmt.Fprintf(e.stderr, "key id %s\n", auditlog.KeyID(pub))
		return pem.Encode(e.stdout, &pem.Block{Type: "PUBLIC KEY", Bytes: der})
	case "verify":
		var reports []auditlog.ChainReport
		if *file != "" {
			f, err := os.Open(*file)
			if err != nil {
				return err
			}
			defer f.Close()
			var h auditlog.Header
			if reports, h, err = auditlog.VerifyExport(f, pub); err != nil {
				return err
			}
			if pub == nil && h.KeyID != "" {
				fmt.Fprintf(e.stderr, "checkpoints checked against the key the export names (id %s): compare it with the lab's published key, or give --pubkey\n", h.KeyID)
			}
			if pub == nil && h.KeyID == "" {
				fmt.Fprintln(e.stderr, "warning: no public key: checkpoint signatures are not checked")
			}
		} else {
			pg, err := openAuditStore(ctx, e)
			if err != nil {
				return err
			}
			defer pg.Close()
			if pub == nil {
				fmt.Fprintln(e.stderr, "warning: no public key (--pubkey or WINNOW_AUDIT_KEY): checkpoint signatures are not checked")
			}
			if reports, err = auditlog.VerifyStore(ctx, pg, pub); err != nil {
				return err
			}
		}
		bad := 0
		for _, r := range reports {
			if r.Problem != nil {
				bad++
				fmt.Fprintf(e.stdout, "chain %s: FAILED at seq %d: %s\n", r.Chain, r.Problem.Seq, r.Problem.Message)
				continue
			}
			fmt.Fprintf(e.stdout, "chain %s: %d events verified, %d checkpoints, %d events after the last checkpoint\n",
				r.Chain, r.Events, r.Checkpoints, r.Unsigned)
		}
		if bad > 0 {
			return &exitError{code: 1, err: fmt.Errorf("the audit log does not verify (%d of %d chains)", bad, len(reports))}
		}
		return nil
	case "export":
		pg, err := openAuditStore(ctx, e)
		if err != nil {
			return err
		}
		defer pg.Close()
		w := e.stdout
		if *out != "" {
			f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		n, err := auditlog.Export(ctx, pg, w, pub, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "exported %d events\n", n)
		return nil
	}
	fmt.Fprintf(e.stderr, "winnow audit: unknown subcommand %q\n%s\n", sub, auditDescription)
	return errUsage
}

func openAuditStore(ctx context.Context, e *env) (*postgres.Store, error) {
	r := &envReader{get: e.getenv}
	return postgres.Open(ctx, postgres.Config{URL: r.str("WINNOW_PG_URL", "postgres://postgres@127.0.0.1:5432/winnow?sslmode=disable"),
		Schema: r.str("WINNOW_PG_SCHEMA", "")})
}

// auditPublicKey reads the public key to verify with: a PEM file, else
// the public half of the service's key file, else none.
func auditPublicKey(pubFile, keyFile string) (ed25519.PublicKey, error) {
	if pubFile != "" {
		der, err := readPEM(pubFile, "PUBLIC KEY")
		if err != nil {
			return nil, err
		}
		k, err := x509.ParsePKIXPublicKey(der)
		pub, ok := k.(ed25519.PublicKey)
		if err != nil || !ok {
			return nil, triage.Errorf(triage.EINVALID, "%s is not an Ed25519 public key", pubFile)
		}
		return pub, nil
	}
	if keyFile == "" {
		return nil, nil
	}
	key, err := readAuditKey(keyFile)
	if err != nil {
		return nil, err
	}
	return key.Public().(ed25519.PublicKey), nil
}

// readAuditKey reads the service's Ed25519 key (PKCS#8 PEM).
func readAuditKey(path string) (ed25519.PrivateKey, error) {
	der, err := readPEM(path, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	key, ok := k.(ed25519.PrivateKey)
	if err != nil || !ok {
		return nil, triage.Errorf(triage.EINVALID, "%s is not an Ed25519 private key", path)
	}
	return key, nil
}

// readPEM returns the bytes of the first PEM block of a file, which must
// be of type typ.
func readPEM(path, typ string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != typ {
		return nil, triage.Errorf(triage.EINVALID, "%s is not a PEM %s (winnow audit pubkey writes the public one)", path, strings.ToLower(typ))
	}
	return blk.Bytes, nil
}

// loadOrCreateAuditKey reads the service's key, creating it (mode 0600)
// on first start.
func loadOrCreateAuditKey(path string) (ed25519.PrivateKey, bool, error) {
	key, err := readAuditKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	_, key, _ = ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("audit key: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("audit key: %w", err)
	}
	return key, true, f.Close()
}
