// goverify: Go crypto/x509's verdict on one certificate, for the issuance
// tests (tests/cli/issuance.rs). Standard library only.
//
//	goverify ROOTS.pem INTERMEDIATES.pem LEAF.pem
//
// Verifies LEAF with Roots = ROOTS.pem, Intermediates = INTERMEDIATES.pem
// and KeyUsages = serverAuth (no host name: name constraints are applied to
// every SAN of the leaf regardless). Prints "ok", or "fail: " and the error
// with exit code 1.
package main

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
)

func pool(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("no certificate in %s", path)
	}
	return p, nil
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: goverify ROOTS.pem INTERMEDIATES.pem LEAF.pem")
		os.Exit(2)
	}
	roots, err := pool(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	inters, err := pool(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	data, err := os.ReadFile(os.Args[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		fmt.Fprintln(os.Stderr, "no PEM block in", os.Args[3])
		os.Exit(2)
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	_, err = leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inters,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		fmt.Printf("fail: %v\n", err)
		os.Exit(1)
	}
	fmt.Println("ok")
}
