package servicetest

import (
	"context"
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
	c, err := minio.New(m.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(m.AccessKey, m.SecretKey, "")})
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
