package servicetest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// psql runs one statement on a fresh connection.
func psql(url, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, sql)
	return err
}

// Exec runs one SQL statement on the server (tests use it to inspect or
// damage state on purpose).
func (p Postgres) Exec(tb testing.TB, sql string) {
	tb.Helper()
	if err := psql(p.URL, sql); err != nil {
		tb.Fatalf("postgres: %s: %v", sql, err)
	}
}

// Client returns a minio-go client for the server.
func (m MinIO) Client(tb testing.TB) *minio.Client {
	tb.Helper()
	c, err := minio.New(m.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(m.AccessKey, m.SecretKey, ""), Secure: m.Secure, Transport: m.Transport})
	if err != nil {
		tb.Fatalf("minio client: %v", err)
	}
	return c
}

// RemoveBucketAtCleanup force-removes the test's bucket when the test ends.
func (m MinIO) RemoveBucketAtCleanup(tb testing.TB) {
	c := m.Client(tb)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if ok, _ := c.BucketExists(ctx, m.Bucket); !ok {
			return
		}
		if err := c.RemoveBucketWithOptions(ctx, m.Bucket, minio.RemoveBucketOptions{ForceDelete: true}); err != nil {
			tb.Logf("remove bucket %s: %v", m.Bucket, err)
		}
	})
}

// minioReady checks that MinIO answers S3 requests (its health endpoint
// answers before the server is initialised).
func minioReady(ctx context.Context, m MinIO) error {
	c, err := minio.New(m.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(m.AccessKey, m.SecretKey, ""), Secure: m.Secure, Transport: m.Transport})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err = c.ListBuckets(ctx)
	return err
}

// writeCert writes a self-signed certificate for 127.0.0.1 as MinIO's
// public.crt and private.key in dir, and returns a transport that trusts it.
func writeCert(dir string) (http.RoundTripper, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "winnow-test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "public.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "private.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	return tr, nil
}
