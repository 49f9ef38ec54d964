// Package experiments will regenerate the paper's evaluation (issue 5): one
// file per figure or table (Figures 4, 5, 6, 7, 8, Table 2, the divergent
// versions of section 6.3), each a function from parameters and a seed to data,
// drawn with gonum/plot beside the paper's own numbers.
//
// It may import the standard library, core/, sim/, checks/ and gonum/plot;
// never net/.
package experiments
