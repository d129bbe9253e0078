// Package pki mints the test credentials operators rehearse X.509
// authentication with — a root CA, an intermediate CA, client leaves and a
// server certificate — and reads the CA bundles that trusted-CA ConfigMaps
// hold.
//
// Certificates are built with smallstep's go.step.sm/crypto (x509util
// templates, keyutil key generation, pemutil encoding), the library behind the
// step CLI, so a chain minted here has the same shape as one made with
// `step certificate create`. Subjects are dn.Names, written in the notation
// BrokerAuthentication's authorizationAttributes use, so what the summary
// prints can be pasted into a manifest unchanged.
//
// The CA-bundle half (bundle.go) is shared: `ca import`, `ca inspect`,
// validate's CA checks and explain's trusted-CA loading all read PEM through
// ParseBundle and judge it with CheckCABundle.
package pki
