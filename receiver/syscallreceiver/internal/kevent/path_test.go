package kevent

import (
	"path"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestResolvePath(t *testing.T) {
	tests := []struct{ p, base, want string }{
		{"hostname", "/etc", "/etc/hostname"},
		{"../etc//hostname", "/tmp", "/etc/hostname"},
		{"./a/./b/../c", "/srv", "/srv/a/c"},
		{"/etc//passwd", "", "/etc/passwd"},
		{"/etc/passwd", "/ignored", "/etc/passwd"},
		{"/../../etc/shadow", "", "/etc/shadow"},
		{"../../../../x", "/a", "/x"},
		{"dir/", "/", "/dir"},
		{"..", "/", "/"},
		{".", "/var/log", "/var/log"},
		{"a/../..", "", ".."},
		{"rel/x", "", "rel/x"},
		{"b\xffad", "/tmp", "/tmp/b\uFFFDad"},
		{"x", "/base\xfe", "/base\uFFFD/x"},
	}
	for _, tt := range tests {
		got, _ := ResolvePath(nil, []byte(tt.p), []byte(tt.base))
		assert.Equal(t, tt.want, got, "%q in %q", tt.p, tt.base)
	}
}

// cleanPath must agree with path.Clean on every input.
func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"", "/", "//", "a/b/../../..", "/../a/./b//c/", "...", "a/...", "./..", "/.a/..b/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := string(cleanPath([]byte(s)))
		if want := path.Clean(s); got != want {
			t.Fatalf("cleanPath(%q) = %q, path.Clean = %q", s, got, want)
		}
	})
}

func BenchmarkResolvePath(b *testing.B) {
	p, base := []byte("../lib//x86_64-linux-gnu/./libc.so.6"), []byte("/usr/bin")
	b.Run("path.Clean", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = path.Clean(string(base) + "/" + string(p))
		}
	})
	b.Run("resolvePath", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			_, buf = ResolvePath(buf, p, base)
		}
	})
}

func TestIsClean(t *testing.T) {
	for _, p := range []string{"/", "/etc", "/etc/shadow", "a", "a/b", "/a/.b/..c", "..a"} {
		if !IsClean([]byte(p)) {
			t.Errorf("%q: not clean", p)
		}
	}
	for _, p := range []string{"", ".", "..", "/etc/", "//etc", "/etc//shadow", "/etc/./shadow", "/tmp/../etc/shadow",
		"../etc", "./a", "a/..", "/a/.", "a//b"} {
		if IsClean([]byte(p)) {
			t.Errorf("%q: clean", p)
		}
	}
	// IsClean agrees with the normalization itself.
	for _, p := range []string{"/etc", "/a/../b", "x/y", "/a/b/", "./x"} {
		got := string(ResolvePathBytes(nil, []byte(p), nil))
		if IsClean([]byte(p)) != (got == p) {
			t.Errorf("%q: IsClean %v, normalized %q", p, IsClean([]byte(p)), got)
		}
	}
}
