//! TrueType fonts for visible text: parsing metrics and cmap, subsetting, and embedding as a CIDFontType2 with ToUnicode.
