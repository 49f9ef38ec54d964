package httpapi

import (
	"strconv"
	"strings"
)

// metricsContentType is the Prometheus text format this package writes by
// hand rather than pull in a client library for a few dozen lines.
const metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

// expo builds a text exposition. Every family must be written in one piece
// (header, then all its samples), which the format requires.
type expo struct{ strings.Builder }

// family writes the # HELP and # TYPE lines.
func (e *expo) family(name, typ, help string) {
	help = strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(help)
	e.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " " + typ + "\n")
}

// sample writes one line; labels are name, value pairs.
func (e *expo) sample(name string, value string, labels ...string) {
	e.WriteString(name)
	if len(labels) > 0 {
		e.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				e.WriteByte(',')
			}
			e.WriteString(labels[i] + `="` + escapeLabel(labels[i+1]) + `"`)
		}
		e.WriteByte('}')
	}
	e.WriteString(" " + value + "\n")
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func escapeLabel(v string) string { return labelEscaper.Replace(v) }

func formatUint(v uint64) string { return strconv.FormatUint(v, 10) }

// formatFloat writes the shortest exact form; infinities come out as
// "+Inf" and "-Inf", the format's own spelling.
func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
