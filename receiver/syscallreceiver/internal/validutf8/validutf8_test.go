package validutf8

import "testing"

func TestValid(t *testing.T) {
	for in, want := range map[string]string{"": "", "/etc/passwd": "/etc/passwd", "a\xffb": "a\uFFFDb", "\xc3": "\uFFFD", "é": "é"} {
		if got := FromBytes([]byte(in)); got != want {
			t.Errorf("FromBytes(%q) = %q, want %q", in, got, want)
		}
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}
