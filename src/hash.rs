//! Content hashes and names, in dependency order.
//!
//! In: the plan (files, their resolved references). Out: each file's final name and, for text
//! files, its final content. A file's hash covers the final names of what it references, so
//! files are hashed after their dependencies: strongly connected components (Tarjan) in reverse
//! topological order, level by level in parallel; the members of a cycle share one hash taken
//! over all of them. The hash is blake3 of the final bytes, as lowercase hex.

use rayon::prelude::*;

use crate::names::{split_extension, strip_bundler_hash};
use crate::plan::{Naming, Plan};

/// `{stem}.{hash}{ext}`. `name` is a file name (no folder); `strip` removes a bundler's
/// content hash from the stem first, so hashes are replaced rather than stacked.
pub fn hashed_name(name: &str, strip: bool, hash: &str) -> String {
    let (stem, ext) = split_extension(name);
    let stem = if strip {
        strip_bundler_hash(stem)
    } else {
        stem
    };
    format!("{stem}.{hash}{ext}")
}

/// Final names and contents, indexed like `plan.files`.
pub struct Hashed {
    /// The final site path of each file.
    pub paths: Vec<String>,
    /// Rewritten text for files whose content changed; `None` means "copy as is".
    pub contents: Vec<Option<String>>,
}

pub fn assign(plan: &Plan, length: usize) -> Hashed {
    let n = plan.files.len();
    let mut names: Vec<Option<String>> = vec![None; n];
    let mut contents: Vec<Option<String>> = vec![None; n];

    let hashed = |i: usize| matches!(plan.files[i].naming, Naming::Hash { .. });
    // A file depends on what it links to and, for an image, on its variants: a `<picture>` or
    // an `image-set()` names them.
    let edges: Vec<Vec<usize>> = plan
        .files
        .iter()
        .map(|f| {
            let mut targets: Vec<usize> = f
                .links
                .iter()
                .filter_map(|l| l.target)
                .flat_map(|t| {
                    let variants = plan.files[t].image.iter().flat_map(|i| &i.variants);
                    std::iter::once(t).chain(variants.map(|v| v.file))
                })
                .filter(|&t| hashed(t))
                .collect();
            targets.sort_unstable();
            targets.dedup();
            targets
        })
        .collect();
    let components = tarjan(&edges, hashed);
    for level in levels(&components, &edges) {
        // Components of one level only reference earlier levels: hash them in parallel.
        let done: Vec<Component> = level
            .par_iter()
            .map(|&c| hash_component(plan, &components[c], &names, length))
            .collect();
        for (&c, (new_names, new_contents)) in level.iter().zip(done) {
            for ((&i, name), content) in components[c].iter().zip(new_names).zip(new_contents) {
                names[i] = Some(name);
                contents[i] = content;
            }
        }
    }

    // Everything that keeps its name (HTML, kept names) is rewritten last, all names known.
    let rest: Vec<(usize, Option<String>)> = (0..n)
        .into_par_iter()
        .filter(|&i| !hashed(i))
        .map(|i| (i, crate::rewrite::file(plan, i, &names)))
        .collect();
    for (i, content) in rest {
        contents[i] = content;
    }
    let paths = (0..n)
        .map(|i| match &names[i] {
            Some(name) => join(plan.files[i].dir(), name),
            None => plan.files[i].source.path.clone(),
        })
        .collect();
    Hashed { paths, contents }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// The new names and contents of a component's members, in member order.
type Component = (Vec<String>, Vec<Option<String>>);

/// Names and contents for one component. A single file: hash of its rewritten bytes. A cycle:
/// one hash over all members, each rewritten with placeholder names for the others (the
/// member's name with an all-zero hash, so the result does not depend on the names the members
/// had coming in, and a second run over distill's output finds the same hash), then the members
/// are rewritten again with the real new names.
fn hash_component(
    plan: &Plan,
    members: &[usize],
    names: &[Option<String>],
    length: usize,
) -> Component {
    let name_with = |i: usize, hash: &str| match &plan.files[i].naming {
        Naming::Hash { strip } => hashed_name(plan.files[i].name(), *strip, hash),
        Naming::Keep => plan.files[i].name().to_string(),
    };
    if let [only] = members {
        let content = crate::rewrite::file(plan, *only, names);
        let digest = match &content {
            Some(text) => blake3::hash(text.as_bytes()),
            // Unchanged bytes: the digest discover took (binary) or of the text itself.
            None => blake3::Hash::from(plan.files[*only].content_digest()),
        };
        let name = name_with(*only, &digest.to_hex()[..length]);
        return (vec![name], vec![content]);
    }
    let zeros = "0".repeat(length);
    let mut placeholders = names.to_vec();
    for &i in members {
        placeholders[i] = Some(name_with(i, &zeros));
    }
    let mut hasher = blake3::Hasher::new();
    for &i in members {
        hasher.update(plan.files[i].dir().as_bytes());
        hasher.update(b"/");
        hasher.update(placeholders[i].as_deref().unwrap_or_default().as_bytes());
        hasher.update(&[0]);
        match crate::rewrite::file(plan, i, &placeholders) {
            Some(text) => hasher.update(text.as_bytes()),
            None => hasher.update(&plan.files[i].content_digest()),
        };
    }
    let hex = hasher.finalize().to_hex();
    let new_names: Vec<String> = members
        .iter()
        .map(|&i| name_with(i, &hex[..length]))
        .collect();
    let mut with_cycle = names.to_vec();
    for (&i, name) in members.iter().zip(&new_names) {
        with_cycle[i] = Some(name.clone());
    }
    let contents = members
        .iter()
        .map(|&i| crate::rewrite::file(plan, i, &with_cycle))
        .collect();
    (new_names, contents)
}

/// Strongly connected components of the nodes for which `include` holds, in reverse
/// topological order (a component comes after everything it references). Iterative, so a long
/// import chain cannot overflow the stack.
fn tarjan(edges: &[Vec<usize>], include: impl Fn(usize) -> bool) -> Vec<Vec<usize>> {
    let n = edges.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut components = Vec::new();
    let mut next = 0;
    for root in 0..n {
        if !include(root) || index[root] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(&mut (v, ref mut edge)) = work.last_mut() {
            if *edge == 0 && index[v] == usize::MAX {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = edges[v].get(*edge) {
                *edge += 1;
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                loop {
                    let w = stack.pop().expect("tarjan stack holds v");
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                component.sort_unstable();
                components.push(component);
            }
        }
    }
    components
}

/// Groups components into levels: level 0 references no other component, level k only
/// components of lower levels. Components of one level are independent.
fn levels(components: &[Vec<usize>], edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut component_of = vec![usize::MAX; edges.len()];
    for (c, members) in components.iter().enumerate() {
        for &m in members {
            component_of[m] = c;
        }
    }
    let mut level = vec![0usize; components.len()];
    // Tarjan's order puts dependencies first, so one forward pass settles every level.
    for (c, members) in components.iter().enumerate() {
        let deps = members
            .iter()
            .flat_map(|&m| &edges[m])
            .map(|&t| component_of[t])
            .filter(|&d| d != c && d != usize::MAX);
        level[c] = deps.map(|d| level[d] + 1).max().unwrap_or(0);
    }
    let depth = level.iter().max().map_or(0, |m| m + 1);
    let mut out = vec![Vec::new(); depth];
    for (c, &l) in level.iter().enumerate() {
        out[l].push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(hashed_name("app.js", true, "3f9a1c2e"), "app.3f9a1c2e.js");
        assert_eq!(
            hashed_name("index-BkD3c1xS.js", true, "3f9a1c2e"),
            "index.3f9a1c2e.js"
        );
        assert_eq!(
            hashed_name("main.8f3a9c1d.js", true, "3f9a1c2e"),
            "main.3f9a1c2e.js"
        );
        assert_eq!(
            hashed_name("app.js.map", true, "3f9a1c2e"),
            "app.3f9a1c2e.js.map"
        );
        assert_eq!(hashed_name("LICENSE", true, "3f9a1c2e"), "LICENSE.3f9a1c2e");
        assert_eq!(
            hashed_name("date-picker.js", true, "3f9a1c2e"),
            "date-picker.3f9a1c2e.js"
        );
        assert_eq!(
            hashed_name("my-component.js", true, "3f9a1c2e"),
            "my-component.3f9a1c2e.js"
        );
        assert_eq!(hashed_name("chunk-ABCD1234.js", true, "00"), "chunk.00.js");
        assert_eq!(
            hashed_name("index-BkD3c1xS.js", false, "00"),
            "index-BkD3c1xS.00.js"
        );
        // Our own output is recognised: hashing again gives the same name.
        assert_eq!(
            hashed_name("app.3f9a1c2e.js", true, "3f9a1c2e"),
            "app.3f9a1c2e.js"
        );
        assert_eq!(
            hashed_name("app.3f9a1c2e.js.map", true, "3f9a1c2e"),
            "app.3f9a1c2e.js.map"
        );
    }

    #[test]
    fn tarjan_orders_dependencies_first_and_groups_cycles() {
        // 0 -> 1 -> 2 -> 1, 3 -> 0
        let edges = vec![vec![1], vec![2], vec![1], vec![0]];
        let comps = tarjan(&edges, |_| true);
        assert_eq!(comps, vec![vec![1, 2], vec![0], vec![3]]);
        let lv = levels(&comps, &edges);
        assert_eq!(lv, vec![vec![0], vec![1], vec![2]]);
    }
}
