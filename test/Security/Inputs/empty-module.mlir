// An empty module: the fuzz regressions attach hardware files to it.
module {
}
