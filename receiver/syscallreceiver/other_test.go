//go:build !linux

package syscallreceiver

import "errors"

func runChild(string, string) error { return errors.New("only on Linux") }
