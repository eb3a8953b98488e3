//! JS minification with swc's minifier (terser's compress and mangle, ported to Rust), for
//! sites whose scripts no bundler has minified: hand-written pages, static-site generators.
//!
//! Runs before the plan scans the file, so references are found in (and spliced into) the
//! minified text. Classic scripts keep their top-level names (other scripts on the page may use
//! them as globals); modules have their own scope, so theirs are mangled too. License comments
//! (`/*! … */`, `@license`, `@preserve`) are kept, as terser keeps them.

use swc_core::common::comments::{Comment, Comments, SingleThreadedComments};
use swc_core::common::{GLOBALS, Globals, Mark};
use swc_core::ecma::ast::{EsVersion, Program};
use swc_core::ecma::codegen::text_writer::{JsWriter, omit_trailing_semi};
use swc_core::ecma::codegen::{Config, Emitter};
use swc_core::ecma::minifier::optimize;
use swc_core::ecma::minifier::option::{
    CompressOptions, ExtraOptions, MangleOptions, MinifyOptions, TopLevelOptions,
};
use swc_core::ecma::transforms::base::{fixer::fixer, resolver};
use swc_core::ecma::visit::VisitMutWith;

/// `[js] minify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Files that do not already look minified (see [`looks_minified`]).
    #[default]
    Auto,
    Always,
    Never,
}

/// Whether `src` looks like a bundler's or minifier's output, which `auto` leaves alone: a
/// `.min.js` name, a source map (minifying would break it), or long lines (an average over 200
/// characters; hand-written code averages 30–40).
pub fn looks_minified(path: &str, src: &str) -> bool {
    if path.ends_with(".min.js") || path.ends_with(".min.mjs") {
        return true;
    }
    if src.contains("//# sourceMappingURL=") || src.contains("//@ sourceMappingURL=") {
        return true;
    }
    let lines = src.lines().filter(|l| !l.trim().is_empty()).count().max(1);
    src.len() / lines > 200
}

/// Minifies a script or module; `Err((line, message))` when it does not parse.
pub fn minify(src: &str) -> Result<String, (u32, String)> {
    GLOBALS.set(&Globals::new(), || {
        let comments = SingleThreadedComments::default();
        let parsed = super::parse(src, Some(&comments))?;
        // Recovered errors mean the parser guessed; a guess is not safe to minify.
        if let Some(error) = parsed.recovered {
            return Err(error);
        }
        let (mut program, cm) = (parsed.program, parsed.cm);
        let module = matches!(program, Program::Module(_));
        let unresolved = Mark::new();
        let top_level = Mark::new();
        program.visit_mut_with(&mut resolver(unresolved, top_level, false));
        let options = MinifyOptions {
            compress: Some(CompressOptions {
                module,
                top_level: Some(TopLevelOptions { functions: module }),
                ..Default::default()
            }),
            mangle: Some(MangleOptions {
                top_level: Some(module),
                ..Default::default()
            }),
            ..Default::default()
        };
        let extra = ExtraOptions {
            unresolved_mark: unresolved,
            top_level_mark: top_level,
            mangle_name_cache: None,
        };
        let mut program = optimize(program, cm.clone(), Some(&comments), None, &options, &extra);
        program.visit_mut_with(&mut fixer(Some(&comments)));

        let kept = SingleThreadedComments::default();
        let (leading, trailing) = comments.take_all();
        for (map, add) in [
            (leading, Comments::add_leading as fn(&_, _, Comment)),
            (trailing, Comments::add_trailing as fn(&_, _, Comment)),
        ] {
            for (pos, list) in map.take() {
                for c in list.into_iter().filter(is_license) {
                    add(&kept, pos, c);
                }
            }
        }

        let mut out = Vec::new();
        {
            let writer = JsWriter::new(cm.clone(), "\n", &mut out, None);
            let mut emitter = Emitter {
                cfg: Config::default()
                    .with_minify(true)
                    .with_target(EsVersion::latest()),
                cm: cm.clone(),
                comments: Some(&kept),
                wr: omit_trailing_semi(writer),
            };
            emitter
                .emit_program(&program)
                .map_err(|e| (1, format!("could not print the minified code: {e}")))?;
        }
        let mut text = String::from_utf8(out).map_err(|e| (1, e.to_string()))?;
        text.push('\n');
        Ok(text)
    })
}

fn is_license(comment: &Comment) -> bool {
    let text = &comment.text;
    text.starts_with('!') || text.contains("@license") || text.contains("@preserve")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minifies_and_keeps_globals_of_scripts() {
        let src = "/*! (c) Example, MIT */\n// a note\nvar counter = 0;\nfunction increment(step) {\n  var next = counter + step;\n  counter = next;\n  return counter;\n}\n";
        let out = minify(src).unwrap();
        assert!(out.len() < src.len(), "{out}");
        assert!(out.starts_with("/*! (c) Example, MIT */"), "{out}");
        assert!(!out.contains("a note"), "{out}");
        // A classic script's top-level names are globals other scripts may use.
        assert!(
            out.contains("counter") && out.contains("increment"),
            "{out}"
        );
        assert!(!out.contains("step"), "{out}");
    }

    #[test]
    fn modules_keep_their_exports_and_imports() {
        let src = "import { helper } from \"./helper.js\";\nconst longLocalName = 40;\nexport function answer() {\n  return helper(longLocalName + 2);\n}\nconst lazy = () => import(\"./route.js\");\nexport { lazy };\n";
        let out = minify(src).unwrap();
        assert!(out.contains("\"./helper.js\"") && out.contains("import(\"./route.js\")"));
        assert!(out.contains("answer") && out.contains("lazy"), "{out}");
        assert!(!out.contains("longLocalName"), "{out}");
    }

    #[test]
    fn broken_code_is_an_error_with_its_line() {
        assert_eq!(minify("let a = 1;\nlet = ;\n").unwrap_err().0, 2);
    }

    #[test]
    fn bundler_output_looks_minified() {
        assert!(looks_minified("a.min.js", "var a = 1;\n"));
        assert!(looks_minified(
            "a.js",
            "var a=1;\n//# sourceMappingURL=a.js.map\n"
        ));
        assert!(looks_minified("a.js", &"x".repeat(5000)));
        assert!(!looks_minified(
            "a.js",
            "var a = 1;\nfunction f() {\n  return a;\n}\n"
        ));
    }
}

/// What [`minify_files`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub saved: u64,
}

/// Minifies the site's JS files in place (in parallel), as `mode` says. A file that does not
/// parse is left as it is (the plan reports it); a result that is not smaller is not used.
pub fn minify_files(files: &mut [crate::discover::SourceFile], mode: Mode) -> Summary {
    use rayon::prelude::*;

    use crate::discover::{Content, Kind};
    if mode == Mode::Never {
        return Summary::default();
    }
    let done: Vec<u64> = files
        .par_iter_mut()
        .filter(|f| f.kind == Kind::Js && !f.refused)
        .filter_map(|f| {
            let Content::Text(text) = &f.content else {
                return None;
            };
            if mode == Mode::Auto && looks_minified(&f.path, text) {
                return None;
            }
            let out = minify(text).ok()?;
            if out.len() >= text.len() {
                return None;
            }
            let saved = (text.len() - out.len()) as u64;
            f.stash();
            f.content = Content::Text(out);
            f.edited = true;
            Some(saved)
        })
        .collect();
    Summary {
        files: done.len(),
        saved: done.iter().sum(),
    }
}
