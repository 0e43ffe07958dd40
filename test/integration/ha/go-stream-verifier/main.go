// go-stream-verifier verifies a stream of id_tokens the way kube-apiserver's OIDC
// authenticator does, with one long-lived github.com/coreos/go-oidc verifier: discovery once,
// the JWKS cached by go-oidc's RemoteKeySet (refetched only for a kid it does not know).
//
// Usage: go-stream-verifier -issuer URL -ca FILE -client-id ID [-algs RS256]
// Reads one token per line on stdin; writes one line per token: "ok <kid>" or "error <message>".
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"net/http"
	"os"
	"strings"
	"time"

	oidc "github.com/coreos/go-oidc"
)

func kidOf(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "?"
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return "?"
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if json.Unmarshal(raw, &h) != nil {
		return "?"
	}
	return h.Kid
}

func main() {
	issuer := flag.String("issuer", "", "issuer URL (--oidc-issuer-url)")
	caFile := flag.String("ca", "", "CA file (--oidc-ca-file)")
	clientID := flag.String("client-id", "", "audience (--oidc-client-id)")
	algs := flag.String("algs", "RS256", "accepted algorithms (--oidc-signing-algs)")
	flag.Parse()

	pem, err := ioutil.ReadFile(*caFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ca: %v\n", err)
		os.Exit(2)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, Proxy: nil},
	}
	ctx := oidc.ClientContext(context.Background(), client)
	provider, err := oidc.NewProvider(ctx, *issuer)
	if err != nil {
		fmt.Fprintf(os.Stderr, "discovery: %v\n", err)
		os.Exit(2)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: *clientID, SupportedSigningAlgs: strings.Split(*algs, ",")})
	fmt.Println("ready")

	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64*1024), 1024*1024)
	for in.Scan() {
		token := strings.TrimSpace(in.Text())
		if token == "" {
			continue
		}
		if _, err := verifier.Verify(ctx, token); err != nil {
			fmt.Printf("error %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		} else {
			fmt.Printf("ok %s\n", kidOf(token))
		}
	}
}
