package main

// The public certificate roots, built in: used only where the system has
// none, as in the container image (FROM scratch), so that an https issuer
// (--issuer, --ui-client-id's sign-in) or a PostgreSQL server verified by
// its certificate can be trusted there too. A system's own roots, or
// SSL_CERT_FILE and SSL_CERT_DIR, are used wherever there are any.
import _ "golang.org/x/crypto/x509roots/fallback"
