// goclient: the Go crypto/tls verdict for each scenario of the differential
// client harness (tests/clients/run_clients.py). Standard library only.
//
//	goclient LIST
//
// LIST has one scenario per line: ID<TAB>PORT<TAB>HOST<TAB>TRUST.PEM. For
// each, dial 127.0.0.1:PORT with RootCAs = the certificates in TRUST.PEM and
// ServerName = HOST (SNI, and the name the leaf must cover), and print
// ID<TAB>ok|fail<TAB>DETAIL.
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

func check(port, host, trust string) error {
	pem, err := os.ReadFile(trust)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("no certificate in %s", trust)
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	conn, err := tls.DialWithDialer(dialer, "tcp", net.JoinHostPort("127.0.0.1", port),
		&tls.Config{RootCAs: pool, ServerName: host})
	if err != nil {
		return err
	}
	return conn.Close()
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: goclient LIST")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		fields := strings.Split(lines.Text(), "\t")
		if len(fields) != 4 {
			continue
		}
		if err := check(fields[1], fields[2], fields[3]); err != nil {
			detail := strings.ReplaceAll(err.Error(), "\n", " ")
			fmt.Printf("%s\tfail\t%s\n", fields[0], detail)
		} else {
			fmt.Printf("%s\tok\t\n", fields[0])
		}
	}
}
