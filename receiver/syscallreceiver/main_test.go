package syscallreceiver

import (
	"fmt"
	"os"
)

// The test binary re-executes itself as the process whose syscalls the tests observe: the
// receiver never reports its own process.
const childEnv = "OTELSEC_SYSCALLRECEIVER_CHILD"

// runChildIfAsked runs before the tests (generated TestMain): in a re-executed child it
// performs the child's scenario and exits.
func runChildIfAsked() {
	if action := os.Getenv(childEnv); action != "" {
		if err := runChild(action, os.Args[len(os.Args)-1]); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(99)
		}
		os.Exit(0)
	}
}
