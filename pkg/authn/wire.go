package authn

import "fmt"

// MaxFieldBytes is the most bytes MQTT v5 carries in a username, a
// password or authentication data: each is sent with a two-byte length
// (MQTT 5.0 §1.5.4, §1.5.6).
const MaxFieldBytes = 65535

// CheckWire returns an error when a credential cannot be sent in a CONNECT
// at all, being longer than MQTT allows: no client could present it, so
// there is nothing for the broker to decide.
func (c Credentials) CheckWire() error {
	for _, f := range []struct {
		what string
		n    int
	}{
		{"the username", len(c.Username)},
		{"the password", len(c.Password)},
		{"the authentication method", len(c.AuthMethod)},
		{"the authentication data", len(c.AuthData)},
	} {
		if f.n > MaxFieldBytes {
			return fmt.Errorf("%s is %d bytes long: MQTT v5 carries at most %d bytes in it, so no client can send it to the broker", f.what, f.n, MaxFieldBytes)
		}
	}
	return nil
}
