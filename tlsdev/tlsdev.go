// Package tlsdev keeps the development TLS files of a graphprofile server: a
// local certificate authority, created once, and a server certificate it
// signs for localhost, 127.0.0.1 and ::1, renewed before it expires. Clients
// trust the CA file (e.g. NODE_EXTRA_CA_CERTS) once and keep working across
// renewals and restarts.
//
// Every file is created atomically and keys are never replaced, so processes
// starting at the same time end up with the same CA and keys; only the
// server certificate is ever rewritten, and any certificate written is one
// the CA signed for the key on disk.
package tlsdev

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/graphprofile/graphprofile/internal/durable"
)

// hosts are the names the server certificate is valid for: the loopback
// names a local client uses.
var hosts = []string{"localhost", "127.0.0.1", "::1"}

const (
	// caValidity is long: every renewal of the CA means trusting it again.
	caValidity = 10 * 365 * 24 * time.Hour
	// leafValidity stays under the 398 days browsers accept for a server
	// certificate.
	leafValidity = 365 * 24 * time.Hour
	// renewBefore renews the server certificate a month before it expires,
	// so a server started today still has a valid one in a few weeks.
	renewBefore = 30 * 24 * time.Hour
	// backdate covers clocks of other machines (VMs, containers) that run
	// a little behind.
	backdate = time.Hour
)

// Files names the four files of a development CA and its server
// certificate, all PEM.
type Files struct {
	CA    string // the CA certificate: what clients trust
	CAKey string // the CA's private key (PKCS#8, mode 0600)
	Cert  string // the server certificate
	Key   string // the server's private key (PKCS#8, mode 0600)
}

// FilesFor names the files after prefix, e.g. the database file:
// graphprofile.db gives graphprofile.db-ca.pem, graphprofile.db-ca-key.pem,
// graphprofile.db-tls.pem and graphprofile.db-tls-key.pem.
func FilesFor(prefix string) Files {
	return Files{
		CA:    prefix + "-ca.pem",
		CAKey: prefix + "-ca-key.pem",
		Cert:  prefix + "-tls.pem",
		Key:   prefix + "-tls-key.pem",
	}
}

// Check returns the error LoadOrCreate would return for the files of f
// that are there, creating nothing: a damaged or expired CA, a damaged
// key. What is missing is not an error (LoadOrCreate creates it), nor is a
// server certificate it would renew.
func Check(f Files) error {
	return check(f, time.Now())
}

func check(f Files, now time.Time) error {
	if _, err := os.Lstat(f.CA); !errors.Is(err, fs.ErrNotExist) {
		if _, _, err := loadCA(f, now); err != nil {
			return err
		}
	} else if _, err := os.Lstat(f.CAKey); !errors.Is(err, fs.ErrNotExist) {
		if _, err := loadKey(f.CAKey, caRemedy(f)); err != nil {
			return err
		}
	}
	if _, err := os.Lstat(f.Key); !errors.Is(err, fs.ErrNotExist) {
		if _, err := loadKey(f.Key, keyRemedy); err != nil {
			return err
		}
	}
	return nil
}

// LoadOrCreate returns the server certificate of f, creating the CA, the
// keys and the certificate where missing and renewing the certificate when
// it expires within 30 days, does not match its key, or is not the CA's for
// each of localhost, 127.0.0.1 and ::1. The CA is never replaced silently (clients trust it):
// a damaged or expired CA is an error that says which files to delete.
func LoadOrCreate(f Files) (tls.Certificate, error) {
	return loadOrCreate(f, time.Now())
}

func loadOrCreate(f Files, now time.Time) (tls.Certificate, error) {
	ca, caKey, err := loadOrCreateCA(f, now)
	if err != nil {
		return tls.Certificate{}, err
	}
	key, err := loadOrCreateKey(f.Key, keyRemedy)
	if err != nil {
		return tls.Certificate{}, err
	}
	if leaf, err := loadLeaf(f.Cert, key, ca, now); err == nil {
		return tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf}, nil
	}
	// Missing, expiring, or not the CA's for this key: a new one. Two
	// processes renewing at once each write a valid certificate for the same
	// key; the last rename wins and both keep serving theirs.
	leaf, err := createLeaf(ca, caKey, key, now)
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := writeReplace(f.Cert, pemBlock("CERTIFICATE", leaf.Raw), 0o644); err != nil {
		return tls.Certificate{}, fmt.Errorf("TLS certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf}, nil
}

// loadOrCreateKey returns the P-256 key at path, creating it when missing;
// remedy says what to do when the file is damaged.
func loadOrCreateKey(path, remedy string) (*ecdsa.PrivateKey, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := createKey(path); err != nil {
			return nil, err
		}
	}
	// Read back whichever key won a race with another process.
	return loadKey(path, remedy)
}

// loadKey reads the P-256 key at path; remedy says what to do when the file
// is missing or damaged.
func loadKey(path, remedy string) (*ecdsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w; %s", err, remedy)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: not a PEM \"PRIVATE KEY\"; %s", path, remedy)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w; %s", path, err, remedy)
	}
	key, ok := parsed.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%s: not an ECDSA P-256 key; %s", path, remedy)
	}
	return key, nil
}

// createKey writes a new P-256 key to path unless a file is there already.
func createKey(path string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generating a key for %s: %w", path, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encoding a key for %s: %w", path, err)
	}
	return writeExclusive(path, pemBlock("PRIVATE KEY", der), 0o600)
}

// loadOrCreateCA returns the CA certificate and its key, creating both when
// the certificate is missing. The certificate is never replaced: clients
// trust this very file. Nothing is created when it exists, so a damaged CA
// is reported as found.
func loadOrCreateCA(f Files, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	if _, err := os.Lstat(f.CA); errors.Is(err, fs.ErrNotExist) {
		// Another process may link its own first; any certificate written
		// there is for the key on disk.
		if err := createCA(f, caRemedy(f), now); err != nil {
			return nil, nil, err
		}
	}
	return loadCA(f, now)
}

// loadCA returns the CA certificate of f and its key, checked: a pair, and
// not expired.
func loadCA(f Files, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	remedy := caRemedy(f)
	data, err := os.ReadFile(f.CA)
	if err != nil {
		return nil, nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, nil, fmt.Errorf("%s: not a PEM certificate; %s", f.CA, remedy)
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w; %s", f.CA, err, remedy)
	}
	key, err := loadKey(f.CAKey, remedy)
	if err != nil {
		return nil, nil, err
	}
	if !ca.IsCA || !key.PublicKey.Equal(ca.PublicKey) {
		return nil, nil, fmt.Errorf("%s is not the CA certificate of %s; %s", f.CA, f.CAKey, remedy)
	}
	if now.After(ca.NotAfter) {
		return nil, nil, fmt.Errorf("the development CA %s expired on %s; %s", f.CA, ca.NotAfter.Format(time.DateOnly), remedy)
	}
	return ca, key, nil
}

// caRemedy says what to do about a damaged or expired CA of f.
func caRemedy(f Files) string {
	return fmt.Sprintf("delete %s and %s to create a new CA, then trust the new one", f.CA, f.CAKey)
}

// keyRemedy says what to do about a damaged server key.
const keyRemedy = "delete it to create a new one"

// createCA writes a new CA certificate to f.CA unless a file is there
// already, for the key in f.CAKey, which it creates when missing.
func createCA(f Files, remedy string, now time.Time) error {
	key, err := loadOrCreateKey(f.CAKey, remedy)
	if err != nil {
		return err
	}
	serial, err := randomSerial()
	if err != nil {
		return err
	}
	name := "graphprofile development CA"
	if host, err := os.Hostname(); err == nil && host != "" {
		// Several machines' CAs may sit in one trust store: say whose.
		name += " (" + host + ")"
	}
	_, loopback4, _ := net.ParseCIDR("127.0.0.0/8")
	_, loopback6, _ := net.ParseCIDR("::1/128")
	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"graphprofile development"}, CommonName: name},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caValidity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		// The key lies on disk beside a database. Should it leak, a trusted
		// CA could otherwise vouch for any site; these constraints limit it
		// to loopback names.
		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         []string{"localhost"},
		PermittedIPRanges:           []*net.IPNet{loopback4, loopback6},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("creating the development CA: %w", err)
	}
	return writeExclusive(f.CA, pemBlock("CERTIFICATE", der), 0o644)
}

// loadLeaf returns the server certificate at path if it is for key, signed
// by ca for every one of hosts, and valid from now until renewBefore from
// now (or the CA's own end, if that comes first).
func loadLeaf(path string, key *ecdsa.PrivateKey, ca *x509.Certificate, now time.Time) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, err
	}
	if !key.PublicKey.Equal(leaf.PublicKey) {
		return nil, errors.New("not the certificate of the key")
	}
	later := now.Add(renewBefore)
	if later.After(ca.NotAfter) {
		// Renewing cannot outlive the CA; keep what lasts as long as it.
		later = ca.NotAfter
	}
	if err := verify(leaf, ca, now, later); err != nil {
		return nil, err
	}
	return leaf, nil
}

// Verify checks that leaf is a server certificate signed by ca for every
// one of hosts at each of the given times.
func verify(leaf, ca *x509.Certificate, at ...time.Time) error {
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	for _, t := range at {
		for _, host := range hosts {
			_, err := leaf.Verify(x509.VerifyOptions{
				DNSName:     host,
				Roots:       roots,
				CurrentTime: t,
				KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			})
			if err != nil {
				return fmt.Errorf("%s at %s: %w", host, t.Format(time.RFC3339), err)
			}
		}
	}
	return nil
}

func createLeaf(ca *x509.Certificate, caKey, key *ecdsa.PrivateKey, now time.Time) (*x509.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	notAfter := now.Add(leafValidity)
	if notAfter.After(ca.NotAfter) {
		notAfter = ca.NotAfter
	}
	template := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"graphprofile development"}, CommonName: "localhost"},
		NotBefore:    now.Add(-backdate),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			template.IPAddresses = append(template.IPAddresses, ip)
		} else {
			template.DNSNames = append(template.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, template, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("creating the TLS certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}

func randomSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("generating a serial number: %w", err)
	}
	return serial.Add(serial, big.NewInt(1)), nil // positive, as RFC 5280 wants
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// writeExclusive creates path with data unless it exists already: the file
// is written under a temporary name and hard-linked into place, so it is
// never seen half-written and, unlike a rename, never replaces a file
// another process created meanwhile.
func writeExclusive(path string, data []byte, perm fs.FileMode) error {
	return writeAtomically(path, data, perm, func(tmp string) error {
		if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		return nil
	})
}

// writeReplace writes data to path by renaming a complete temporary file
// over it, so readers see the old file or the new one, never a mix.
func writeReplace(path string, data []byte, perm fs.FileMode) error {
	return writeAtomically(path, data, perm, func(tmp string) error { return os.Rename(tmp, path) })
}

func writeAtomically(path string, data []byte, perm fs.FileMode, place func(tmp string) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		// After a link the temporary name still exists and must go; after
		// a rename it is gone already.
		if rmErr := os.Remove(tmp.Name()); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) && err == nil {
			err = rmErr
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	// Sync before placing it, so that a crash cannot leave an empty file
	// under the final name.
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := place(tmp.Name()); err != nil {
		return err
	}
	// Sync the directory too, so the new name survives a power cut: a CA
	// that clients were told to trust must not vanish.
	if err := durable.SyncDir(dir); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}
