package tlsdev

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// readCert parses the one PEM certificate in path.
func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, rest := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("%s is not exactly one PEM certificate", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// readAll returns the contents of every file of f.
func readAll(t *testing.T, f Files) map[string][]byte {
	t.Helper()
	out := make(map[string][]byte)
	for _, p := range []string{f.CA, f.CAKey, f.Cert, f.Key} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[p] = data
	}
	return out
}

// assertFiles fails unless dir holds exactly the four files of prefix db
// (no temporary files left behind).
func assertFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"db-ca-key.pem", "db-ca.pem", "db-tls-key.pem", "db-tls.pem"}
	if !slices.Equal(names, want) {
		t.Errorf("directory holds %q, want %q", names, want)
	}
}

func TestFilesFor(t *testing.T) {
	got := FilesFor("data/graphprofile.db")
	want := Files{
		CA:    "data/graphprofile.db-ca.pem",
		CAKey: "data/graphprofile.db-ca-key.pem",
		Cert:  "data/graphprofile.db-tls.pem",
		Key:   "data/graphprofile.db-tls-key.pem",
	}
	if got != want {
		t.Errorf("FilesFor = %+v, want %+v", got, want)
	}
}

// TestCheckCreatesNothing: Check passes where LoadOrCreate would create
// what is missing (nothing there; the server's certificate and key alone,
// after the CA was deleted as its error says), creating nothing, and fails
// on a damaged CA key with no certificate beside it, as LoadOrCreate does.
// The damaged files of TestLoadOrCreateRefuses fail it too.
func TestCheckCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	f := FilesFor(filepath.Join(dir, "db"))
	if err := Check(f); err != nil {
		t.Errorf("Check with no file: %v", err)
	}
	if _, err := LoadOrCreate(f); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{f.CA, f.CAKey} {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
	}
	if err := Check(f); err != nil {
		t.Errorf("Check with the server's certificate and key alone: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("after Check: %v; want the two files it was given", entries)
	}
	write(t, f.CAKey, "not a key")
	err := Check(f)
	_, want := LoadOrCreate(f)
	if err == nil || want == nil || err.Error() != want.Error() {
		t.Errorf("Check with a damaged CA key alone: %v; want LoadOrCreate's %v", err, want)
	}
}

func TestLoadOrCreate(t *testing.T) {
	dir := t.TempDir()
	f := FilesFor(filepath.Join(dir, "db"))
	cert, err := LoadOrCreate(f)
	if err != nil {
		t.Fatal(err)
	}
	assertFiles(t, dir)

	ca := readCert(t, f.CA)
	if !ca.IsCA || ca.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("CA: IsCA %v, key usage %b: want a CA that signs certificates", ca.IsCA, ca.KeyUsage)
	}
	if pub, ok := ca.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("CA key is %T, want ECDSA P-256", ca.PublicKey)
	}
	if life := ca.NotAfter.Sub(time.Now()); life < 9*365*24*time.Hour {
		t.Errorf("CA valid for %v more, want about 10 years", life)
	}

	leaf := readCert(t, f.Cert)
	if !bytes.Equal(cert.Certificate[0], leaf.Raw) || cert.Leaf == nil || !bytes.Equal(cert.Leaf.Raw, leaf.Raw) {
		t.Errorf("the returned certificate is not the one in %s", f.Cert)
	}
	if life := leaf.NotAfter.Sub(time.Now()); life < 360*24*time.Hour || life > 366*24*time.Hour {
		t.Errorf("server certificate valid for %v more, want a year", life)
	}
	if !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("server certificate extended key usage %v, want server auth", leaf.ExtKeyUsage)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	for _, host := range []string{"localhost", "127.0.0.1", "::1", "[::1]"} {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: roots}); err != nil {
			t.Errorf("server certificate does not verify for %s against the CA: %v", host, err)
		}
	}
	for _, host := range []string{"example.com", "10.0.0.1", "localhost.example.com"} {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: roots}); err == nil {
			t.Errorf("server certificate verifies for %s, want only loopback names", host)
		}
	}
	// The certificate and key make a pair TLS accepts.
	if _, err := x509.ParsePKCS8PrivateKey(mustPEM(t, f.Key, "PRIVATE KEY")); err != nil {
		t.Errorf("%s: %v", f.Key, err)
	}
	if !cert.PrivateKey.(*ecdsa.PrivateKey).PublicKey.Equal(leaf.PublicKey) {
		t.Errorf("the returned key is not the certificate's")
	}

	if runtime.GOOS != "windows" {
		for path, want := range map[string]os.FileMode{f.CAKey: 0o600, f.Key: 0o600, f.CA: 0o644, f.Cert: 0o644} {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != want {
				t.Errorf("%s: mode %v, want %v", filepath.Base(path), fi.Mode().Perm(), want)
			}
		}
	}

	// The second call reuses every file, the CA above all.
	before := readAll(t, f)
	again, err := LoadOrCreate(f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Certificate[0], cert.Certificate[0]) {
		t.Errorf("the second call made a new server certificate")
	}
	for path, data := range readAll(t, f) {
		if !bytes.Equal(data, before[path]) {
			t.Errorf("the second call changed %s", filepath.Base(path))
		}
	}
	assertFiles(t, dir)
}

func mustPEM(t *testing.T, path, typ string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != typ {
		t.Fatalf("%s: no PEM %q block", path, typ)
	}
	return block.Bytes
}

func TestLoadOrCreateConcurrently(t *testing.T) {
	dir := t.TempDir()
	f := FilesFor(filepath.Join(dir, "db"))
	const n = 16
	certs := make([]*x509.Certificate, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			c, err := LoadOrCreate(f)
			certs[i], errs[i] = c.Leaf, err
		})
	}
	close(start)
	wg.Wait()
	ca := readCert(t, f.CA)
	key, err := x509.ParsePKCS8PrivateKey(mustPEM(t, f.Key, "PRIVATE KEY"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
		// Whatever each one serves is trusted by the one CA on disk and
		// made for the one key on disk.
		if err := verify(certs[i], ca, time.Now()); err != nil {
			t.Errorf("goroutine %d: its certificate does not verify against %s: %v", i, f.CA, err)
		}
		if !key.(*ecdsa.PrivateKey).PublicKey.Equal(certs[i].PublicKey) {
			t.Errorf("goroutine %d: its certificate is not for the key in %s", i, f.Key)
		}
	}
	if err := verify(readCert(t, f.Cert), ca, time.Now()); err != nil {
		t.Errorf("%s does not verify against %s: %v", f.Cert, f.CA, err)
	}
	assertFiles(t, dir)
}

func TestRenewal(t *testing.T) {
	tests := []struct {
		name    string
		created time.Time // when the files were made
	}{
		{"expired", time.Now().Add(-2 * leafValidity)},
		{"expires within 30 days", time.Now().Add(-leafValidity + 10*24*time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			f := FilesFor(filepath.Join(dir, "db"))
			old, err := loadOrCreate(f, tt.created)
			if err != nil {
				t.Fatal(err)
			}
			before := readAll(t, f)

			renewed, err := LoadOrCreate(f)
			if err != nil {
				t.Fatal(err)
			}
			if renewed.Leaf.SerialNumber.Cmp(old.Leaf.SerialNumber) == 0 {
				t.Fatalf("the server certificate (valid until %s) was not renewed", old.Leaf.NotAfter)
			}
			after := readAll(t, f)
			for _, p := range []string{f.CA, f.CAKey, f.Key} {
				if !bytes.Equal(after[p], before[p]) {
					t.Errorf("renewal changed %s, want only the certificate renewed", filepath.Base(p))
				}
			}
			// The same CA, which clients already trust, vouches for it.
			if err := verify(readCert(t, f.Cert), readCert(t, f.CA), time.Now(), time.Now().Add(renewBefore)); err != nil {
				t.Errorf("renewed certificate: %v", err)
			}
			if !bytes.Equal(readCert(t, f.Cert).Raw, renewed.Leaf.Raw) {
				t.Errorf("%s does not hold the renewed certificate", f.Cert)
			}
			assertFiles(t, dir)
		})
	}

	t.Run("certificate of another CA", func(t *testing.T) {
		dir := t.TempDir()
		f := FilesFor(filepath.Join(dir, "db"))
		if _, err := LoadOrCreate(f); err != nil {
			t.Fatal(err)
		}
		other := FilesFor(filepath.Join(t.TempDir(), "other"))
		if _, err := LoadOrCreate(other); err != nil {
			t.Fatal(err)
		}
		// A certificate of another CA and key: not ours, so replaced.
		data, err := os.ReadFile(other.Cert)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f.Cert, data, 0o644); err != nil {
			t.Fatal(err)
		}
		cert, err := LoadOrCreate(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := verify(cert.Leaf, readCert(t, f.CA), time.Now()); err != nil {
			t.Errorf("after replacing a foreign certificate: %v", err)
		}
	})
}

func TestLoadOrCreateRefuses(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(t *testing.T, f Files)
		mention []string
	}{
		{
			name:    "CA key is garbage",
			damage:  func(t *testing.T, f Files) { write(t, f.CAKey, "not a key") },
			mention: []string{"db-ca-key.pem", "delete", "db-ca.pem"},
		},
		{
			name:    "CA certificate is garbage",
			damage:  func(t *testing.T, f Files) { write(t, f.CA, "not a certificate") },
			mention: []string{"db-ca.pem", "delete", "db-ca-key.pem"},
		},
		{
			name: "CA key missing",
			damage: func(t *testing.T, f Files) {
				if err := os.Remove(f.CAKey); err != nil {
					t.Fatal(err)
				}
			},
			mention: []string{"db-ca-key.pem", "delete", "db-ca.pem"},
		},
		{
			name: "CA key of another CA",
			damage: func(t *testing.T, f Files) {
				other := FilesFor(filepath.Join(t.TempDir(), "other"))
				if _, err := LoadOrCreate(other); err != nil {
					t.Fatal(err)
				}
				data, err := os.ReadFile(other.CAKey)
				if err != nil {
					t.Fatal(err)
				}
				write(t, f.CAKey, string(data))
			},
			mention: []string{"db-ca.pem", "not the CA certificate of", "db-ca-key.pem", "delete"},
		},
		{
			name: "server key is garbage",
			damage: func(t *testing.T, f Files) {
				write(t, f.Key, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
			},
			mention: []string{"db-tls-key.pem"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := FilesFor(filepath.Join(t.TempDir(), "db"))
			if _, err := LoadOrCreate(f); err != nil {
				t.Fatal(err)
			}
			tt.damage(t, f)
			before, _ := os.ReadDir(filepath.Dir(f.CA))
			checked := Check(f)
			_, err := LoadOrCreate(f)
			if checked == nil || err == nil || checked.Error() != err.Error() {
				t.Errorf("Check: %v; want LoadOrCreate's error, %v", checked, err)
			}
			if after, _ := os.ReadDir(filepath.Dir(f.CA)); len(after) != len(before) {
				t.Errorf("files before: %v, after the refusal: %v; want nothing created", before, after)
			}
			if err == nil {
				t.Fatal("LoadOrCreate succeeded, want an error")
			}
			for _, m := range tt.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}

	t.Run("CA expired", func(t *testing.T) {
		f := FilesFor(filepath.Join(t.TempDir(), "db"))
		if _, err := loadOrCreate(f, time.Now().Add(-caValidity-24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		_, err := LoadOrCreate(f)
		if checked := Check(f); checked == nil || err == nil || checked.Error() != err.Error() {
			t.Errorf("Check: %v; want LoadOrCreate's error, %v", checked, err)
		}
		if err == nil || !strings.Contains(err.Error(), "expired") || !strings.Contains(err.Error(), "delete") {
			t.Errorf("LoadOrCreate with an expired CA: %v, want an error saying it expired and what to delete", err)
		}
	})
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
