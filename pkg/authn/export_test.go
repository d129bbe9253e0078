package authn

// The token helpers of these tests, for the external differential test
// (package authn_test, which imports pkg/kube, which imports this package).
var (
	With    = with
	Without = without
)
