// Package experiments regenerates the paper's evaluation (DeCandia et al.,
// SOSP 2007, section 6) from seeded simulator runs: one file per figure or
// table, each an Experiment whose Run turns a scale and a seed into data, a CSV
// whose header records every parameter and assumption, figures drawn with
// gonum/plot, and the paper's numbers beside ours. WriteResultsMD assembles
// RESULTS.md from the results.
//
// Numbers quoted from the paper come from shared/PAPER.md, never from memory;
// values read off the paper's figures are marked DIGITIZED there and here.
//
// It may import the standard library, core/ and its sub-packages, sim/,
// checks/ and gonum.org/v1/plot; never net/.
package experiments
