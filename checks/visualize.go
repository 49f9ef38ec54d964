package checks

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/anishathalye/porcupine"
)

// NemesisTag is the timeline row for annotations recorded without a tag.
const NemesisTag = "nemesis"

// WriteVisualization writes porcupine's self-contained HTML page for a checked
// history, with every annotation of h (partitions, crashes, heals) on its own
// tagged row, so a stale read can be read against the faults around it.
func WriteVisualization(h *History, res LinearizabilityResult, w io.Writer) error {
	if res.Outcome == "" {
		return errors.New("visualization: linearizability was not checked")
	}
	info := res.Info // AddAnnotations appends to a copy; res stays as it was
	info.AddAnnotations(porcupineAnnotations(h))
	return porcupine.Visualize(MVRModel(), info, w)
}

// WriteVisualizationFile is WriteVisualization to a file.
func WriteVisualizationFile(h *History, res LinearizabilityResult, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteVisualization(h, res, f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func porcupineAnnotations(h *History) []porcupine.Annotation {
	out := make([]porcupine.Annotation, 0, len(h.Annotations))
	for _, a := range h.Annotations {
		// Porcupine puts an annotation without a tag on client 0's row.
		tag := a.Tag
		if tag == "" {
			tag = NemesisTag
		}
		out = append(out, porcupine.Annotation{
			Tag:         tag,
			Start:       a.Start,
			End:         a.End,
			Description: a.Description,
			Details:     fmt.Sprintf("%s [%d, %d]", a.Description, a.Start, a.End),
		})
	}
	return out
}
