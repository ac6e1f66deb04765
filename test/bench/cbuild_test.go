//go:build linux

package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	cFiles = 120
	// Six rounds of one run each way, the sensor started afresh for each on-run: pairs close
	// in time and enough of them for a median that a neighbour's burst of work does not decide,
	// short enough (about two minutes here) for `make bench`.
	benchRounds  = 6
	runsPerRound = 1
	idleWindow   = 20 * time.Second
)

// BenchmarkCBuild is a developer's `make -B -j2` of a small C project (120 files, each
// including a few system headers, so that cc1's header search opens many files, as in any real
// build) with the sensor off and on. Reported: the build's wall time and own CPU with the
// sensor over without it, the sensor's CPU per event it saw during the builds (its idle cost
// included) and next to the build's, its CPU while idle (% of one core over 20 s, with the
// events the machine made meanwhile) and its resident memory.
func BenchmarkCBuild(b *testing.B) {
	bin := requireSensor(b, "gcc", "make", "cc")
	dir := b.TempDir()
	writeCProject(b, dir)
	build(b, dir) // warm the page cache and the compiler before anything is measured

	// The idle figure first, on a sensor of its own: the workload's sensors are busy.
	idle := startSensor(b, bin)
	idlePct, idleEvents := idle.idleCPU(idleWindow)
	b.ReportMetric(idle.memory("VmRSS"), "idle-rss-MiB")
	idle.stop()
	b.ReportMetric(idlePct, "idle-cpu-%")
	b.ReportMetric(idleEvents, "idle-events/s")

	var cost sensorCost
	figs := alternate(b, bin, benchRounds*b.N, runsPerRound, &cost, func() []float64 {
		took, cpu := build(b, dir)
		return []float64{took.Seconds(), cpu.Seconds()}
	})
	wall, buildCPU := figs[0], figs[1]
	wall.report(b, "wall-s")
	buildCPU.report(b, "build-cpu-s")
	cost.report(b)
	// What the sensor spent next to what the build spent: on a busy machine, the share of the
	// cores taken from the workload, whatever the neighbours do to the wall times.
	b.ReportMetric(100*cost.cpu.Seconds()/buildCPU.sumOn(), "sensor-cpu/build-cpu-%")
	b.ReportMetric(cost.events/float64(benchRounds*b.N*runsPerRound), "events/build")
	b.ReportMetric(1000*cost.cpu.Seconds()/float64(benchRounds*b.N*runsPerRound), "sensor-cpu-ms/build")
	b.ReportMetric(0, "ns/op")
}

// build runs `make -B -j2` in dir and returns its wall time and the CPU (user+sys) of make and
// every process below it.
func build(b *testing.B, dir string) (time.Duration, time.Duration) {
	b.Helper()
	cmd := exec.Command("make", "-B", "-j2", "-s")
	cmd.Dir = dir
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if err != nil {
		b.Fatalf("make: %v\n%s", err, out)
	}
	return took, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// writeCProject writes cFiles small translation units, a shared header, a main that calls
// them all and a Makefile with one rule per object, as a hand-written project has.
func writeCProject(b *testing.B, dir string) {
	b.Helper()
	files := map[string]string{
		"include/common.h": "#ifndef COMMON_H\n#define COMMON_H\n#include <stddef.h>\n" +
			"typedef long (*unit_fn)(const char *, size_t);\nextern unit_fn units[];\n#endif\n",
		"Makefile": "CFLAGS ?= -O1 -Wall\n" +
			"SRCS := $(wildcard src/*.c)\n" +
			"OBJS := $(SRCS:src/%.c=obj/%.o)\n" +
			"prog: $(OBJS)\n\t$(CC) -o $@ $^ -lm\n" +
			"obj/%.o: src/%.c include/common.h | obj\n\t$(CC) $(CFLAGS) -Iinclude -c -o $@ $<\n" +
			"obj:\n\tmkdir -p obj\n",
	}
	var decls, table strings.Builder
	for i := 0; i < cFiles; i++ {
		files[fmt.Sprintf("src/u%03d.c", i)] = fmt.Sprintf(`#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "common.h"

long unit%03d(const char *s, size_t n) {
	char buf[64];
	snprintf(buf, sizeof buf, "%%s-%d", s);
	long h = (long)strlen(buf) + (long)n;
	for (size_t i = 0; i < strlen(buf); i++)
		h = h * 31 + buf[i];
	return h + (long)sqrt((double)(h < 0 ? -h : h));
}
`, i, i)
		fmt.Fprintf(&decls, "long unit%03d(const char *, size_t);\n", i)
		fmt.Fprintf(&table, "\tunit%03d,\n", i)
	}
	files["src/main.c"] = "#include <stdio.h>\n#include \"common.h\"\n" + decls.String() +
		"unit_fn units[] = {\n" + table.String() + "\tNULL,\n};\n" +
		"int main(int argc, char **argv) {\n\tlong h = 0;\n" +
		"\tfor (unit_fn *u = units; *u; u++)\n\t\th ^= (*u)(argv[0], (size_t)argc);\n" +
		"\tprintf(\"%ld\\n\", h);\n\treturn 0;\n}\n"
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}
