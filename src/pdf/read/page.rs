//! The page tree (ISO 32000-1 §7.7.3): pages in order, with the inheritable attributes
//! (Resources, MediaBox, CropBox, Rotate, §7.7.3.4) filled in from their ancestors. What a
//! page draws is left to `content` and the callers.

use std::collections::HashSet;

use super::document::Document;
use super::object::{Dictionary, Object, ObjectId, Rectangle};
use super::{Location, PdfReadError, Result};

/// One page with its inherited attributes resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The page object, if it is an indirect object (it always is in a conforming file).
    pub id: Option<ObjectId>,
    /// The page dictionary as written (without inherited keys).
    pub dict: Dictionary,
    /// The resource dictionary (§7.8.3), resolved; empty when there is none.
    pub resources: Dictionary,
    pub media_box: Rectangle,
    pub crop_box: Option<Rectangle>,
    /// Clockwise rotation for display, normalized to 0, 90, 180 or 270 (Table 30).
    pub rotate: u16,
}

impl Page {
    /// The visible region: the crop box clipped to the media box, or the media box
    /// (§14.11.2).
    pub fn visible_box(&self) -> Rectangle {
        self.crop_box
            .and_then(|c| c.intersect(&self.media_box))
            .unwrap_or(self.media_box)
    }

    fn at(&self) -> Location {
        self.id.map_or(Location::Trailer, Location::Object)
    }

    /// The page's content stream(s) decoded and joined, separated by a newline as §7.8.2
    /// requires readers to treat the split points.
    pub fn contents(&self, document: &Document<'_>) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let streams = match document.get_key(&self.dict, "Contents")? {
            None => return Ok(out),
            Some(Object::Array(items)) => items,
            Some(one) => vec![one],
        };
        for item in &streams {
            match document.resolve(item)? {
                Object::Stream(s) => {
                    out.extend_from_slice(&document.decode_stream(&s)?.data);
                    out.push(b'\n');
                }
                Object::Null => {}
                other => {
                    return Err(PdfReadError::WrongType {
                        at: self.at(),
                        key: "Contents",
                        expected: "a stream or an array of streams",
                        found: other.type_name(),
                    });
                }
            }
            if out.len() > document.limits().max_decoded_bytes {
                return Err(PdfReadError::TooLarge {
                    at: self.at(),
                    limit: document.limits().max_decoded_bytes,
                });
            }
        }
        Ok(out)
    }
}

#[derive(Clone, Default)]
struct Inherited {
    resources: Option<Object>,
    media_box: Option<Object>,
    crop_box: Option<Object>,
    rotate: Option<Object>,
}

impl Inherited {
    fn update(&mut self, node: &Dictionary) {
        for (key, slot) in [
            ("Resources", &mut self.resources),
            ("MediaBox", &mut self.media_box),
            ("CropBox", &mut self.crop_box),
            ("Rotate", &mut self.rotate),
        ] {
            if let Some(v) = node.get(key) {
                *slot = Some(v.clone());
            }
        }
    }
}

impl Document<'_> {
    /// The pages in document order (§7.7.3.2), depth-first through /Kids.
    pub fn pages(&self) -> Result<Vec<Page>> {
        let catalog = self.catalog()?;
        let root = catalog.get("Pages").ok_or(PdfReadError::MissingKey {
            at: Location::Trailer,
            key: "Pages",
        })?;
        let mut pages = Vec::new();
        let mut visited = HashSet::new();
        // (node, inherited from its ancestors, depth); reversed kids keep the order.
        let mut stack = vec![(root.clone(), Inherited::default(), 0usize)];
        while let Some((node, inherited, depth)) = stack.pop() {
            let id = node.as_ref();
            let at = id.map_or(Location::Trailer, Location::Object);
            if let Some(id) = id
                && !visited.insert(id)
            {
                return Err(PdfReadError::PageTree {
                    at,
                    problem: "a node appears twice (the tree has a cycle or shared kids)",
                });
            }
            if depth > self.limits().max_depth {
                return Err(PdfReadError::TooDeep {
                    at,
                    limit: self.limits().max_depth,
                });
            }
            let dict = self.resolve_dict(&node, at, "Kids")?;
            let mut inherited = inherited;
            inherited.update(&dict);
            let is_tree_node =
                dict.has_type("Pages") || (!dict.has_type("Page") && dict.contains("Kids"));
            if is_tree_node {
                let kids = match self.get_key(&dict, "Kids")? {
                    Some(Object::Array(kids)) => kids,
                    _ => {
                        return Err(PdfReadError::PageTree {
                            at,
                            problem: "a /Pages node has no /Kids array",
                        });
                    }
                };
                for kid in kids.into_iter().rev() {
                    stack.push((kid, inherited.clone(), depth + 1));
                }
                continue;
            }
            if pages.len() >= self.limits().max_pages {
                return Err(PdfReadError::TooMany {
                    what: "pages",
                    limit: self.limits().max_pages,
                });
            }
            pages.push(self.page(id, dict, &inherited, at)?);
        }
        Ok(pages)
    }

    /// The number of pages, counted by walking the tree (the /Count entries are not trusted).
    pub fn page_count(&self) -> Result<usize> {
        Ok(self.pages()?.len())
    }

    fn page(
        &self,
        id: Option<ObjectId>,
        dict: Dictionary,
        inherited: &Inherited,
        at: Location,
    ) -> Result<Page> {
        let rect = |value: &Option<Object>, key: &'static str| -> Result<Option<Rectangle>> {
            let Some(value) = value else {
                return Ok(None);
            };
            let value = self.resolve_with_items(value)?;
            Rectangle::from_object(&value)
                .map(Some)
                .ok_or(PdfReadError::WrongType {
                    at,
                    key,
                    expected: "a rectangle of four numbers",
                    found: value.type_name(),
                })
        };
        let media_box =
            rect(&inherited.media_box, "MediaBox")?.ok_or(PdfReadError::MissingKey {
                at,
                key: "MediaBox",
            })?;
        let crop_box = rect(&inherited.crop_box, "CropBox")?;
        let rotate = match &inherited.rotate {
            None => 0,
            Some(v) => match self.resolve(v)? {
                Object::Int(r) if r % 90 == 0 => r.rem_euclid(360) as u16,
                other => {
                    return Err(PdfReadError::WrongType {
                        at,
                        key: "Rotate",
                        expected: "a multiple of 90",
                        found: other.type_name(),
                    });
                }
            },
        };
        let resources = match &inherited.resources {
            None => Dictionary::new(),
            Some(r) => match self.resolve(r)? {
                Object::Null => Dictionary::new(),
                _ => self.resolve_dict(r, at, "Resources")?,
            },
        };
        Ok(Page {
            id,
            dict,
            resources,
            media_box,
            crop_box,
            rotate,
        })
    }
}
