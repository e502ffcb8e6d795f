use super::include::brace_expand;
use super::*;

const NAME: &str = "/kprs-test/etc/k.conf";

fn opts(id: &str) -> Options {
    let mut o = Options::new(id);
    o.env = Box::new(|name| (name == "SITE").then(|| "paris".to_string()));
    o.random_seed = 7;
    o
}

/// One preprocessing run and what it produced.
struct Run {
    p: Preprocessed,
    sm: SourceMap,
    d: Diagnostics,
}

fn run_with(o: &Options, text: &str) -> Run {
    let (mut sm, mut d) = (SourceMap::new(), Diagnostics::default());
    let p = preprocess_str(Path::new(NAME), text, o, &mut sm, &mut d);
    Run { p, sm, d }
}

fn run(text: &str) -> Run {
    run_with(&opts("main"), text)
}

fn run_file(o: &Options, main: &Path) -> Run {
    let (mut sm, mut d) = (SourceMap::new(), Diagnostics::default());
    let p = preprocess(main, o, &mut sm, &mut d);
    Run { p, sm, d }
}

impl Run {
    fn lines(&self) -> Vec<&str> {
        if self.p.line_count() == 0 {
            assert_eq!(self.p.text, "");
            return Vec::new();
        }
        let v: Vec<&str> = self.p.text.split('\n').collect();
        assert_eq!(v.len(), self.p.line_count());
        v
    }

    /// `file:line:col` of the `nth` occurrence of `needle` in the output.
    fn at(&self, needle: &str, nth: usize) -> String {
        let (off, _) = self
            .p
            .text
            .match_indices(needle)
            .nth(nth)
            .unwrap_or_else(|| panic!("{needle:?} #{nth} not in {:?}", self.p.text));
        self.sm.display(self.p.loc_of(off).expect("a location"))
    }

    fn diags(&self) -> Vec<String> {
        self.d
            .list
            .iter()
            .map(|d| match d.loc {
                Some(l) => format!("{}: {}: {}", self.sm.display(l), d.severity, d.message),
                None => format!("{}: {}", d.severity, d.message),
            })
            .collect()
    }
}

/// A scratch directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("kprs-pre-{}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(fs::canonicalize(&p).unwrap())
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.0.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, text).unwrap();
        p
    }

    fn path(&self, rel: &str) -> String {
        self.0.join(rel).display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn comments_are_stripped_outside_quotes() {
    let r = run(
        "a#b\n  router_id \"x#y\" zz ! c\nk 'p!q' w\nesc a\\#b c\\!d\n\
             q \"in\\\"#x\" yy # c\n# only comment\n! bang\ntail\\\\\ncont \\\n",
    );
    assert_eq!(
        r.lines(),
        [
            "a",
            "router_id \"x#y\" zz",
            "k 'p!q' w",
            "esc a#b c!d",
            "q \"in\\\"#x\" yy",
            "tail\\\\",
            "cont \\",
        ]
    );
    assert_eq!(r.at("router_id", 0), format!("{NAME}:2:3"));
    assert_eq!(r.at("zz", 0), format!("{NAME}:2:19"));
    assert_eq!(r.at("w", 0), format!("{NAME}:3:9"));
    // The backslash before `#` and `!` is gone; the characters keep their own columns.
    assert_eq!(r.at("#b", 0), format!("{NAME}:4:7"));
    assert_eq!(r.at("c!d", 0), format!("{NAME}:4:10"));
    assert_eq!(r.at("!d", 0), format!("{NAME}:4:12"));
    assert_eq!(r.at("yy", 0), format!("{NAME}:5:12"));
    assert_eq!(
        r.diags(),
        [format!(
            "{NAME}:9:6: warning: a `\\` at the end of a line continues only a `$NAME=` \
                 definition; it does not join this line with the next"
        )]
    );
}

#[test]
fn conditional_lines_follow_the_config_id() {
    let text = "@main router_id r1\n@backup router_id r2\n  @^backup   prio 1\n@^main prio 2\n\
                    @main\n@ x\n@^ y\n@main $P=5\n@^main $P=6\nval $P\n";
    let r = run(text);
    assert_eq!(r.lines(), ["router_id r1", "prio 1", "y", "val 5"]);
    assert_eq!(r.at("router_id", 0), format!("{NAME}:1:7"));
    assert_eq!(r.at("r1", 0), format!("{NAME}:1:17"));
    assert_eq!(r.at("prio", 0), format!("{NAME}:3:14"));
    assert_eq!(r.at("y", 0), format!("{NAME}:7:4"));
    assert_eq!(r.at("5", 0), format!("{NAME}:10:5"));
    assert!(r.diags().is_empty());
    let r = run_with(&opts("backup"), text);
    assert_eq!(r.lines(), ["router_id r2", "prio 2", "y", "val 6"]);
    assert_eq!(r.at("prio", 0), format!("{NAME}:4:8"));
}

#[test]
fn definitions_substitute_at_use_time() {
    let r = run(
        "$ADDR=10.0.${SUB}\n$SUB=0\nip ${ADDR}.1/32\n$SUB=7\nip $ADDR\n$X =1\n\
             k $X $UNDEF ${UNDEF}x $ADDRy $ADDR, ${ADDR}z\n$EMPTY=\ne[${EMPTY}]\n\
             $IF_MAIN=@main\n$IF_MAIN priority 240\n$IF_BK=@backup\n$IF_BK priority 100\n",
    );
    assert_eq!(
        r.lines(),
        [
            "ip 10.0.0.1/32",
            "ip 10.0.7",
            "$X =1",
            "k $X $UNDEF ${UNDEF}x $ADDRy 10.0.7, 10.0.7z",
            "e[]",
            "priority 240",
        ]
    );
    // A token produced by a substitution points at its `$`; the text after it at itself.
    assert_eq!(r.at("10.0.0.1", 0), format!("{NAME}:3:4"));
    assert_eq!(r.at(".1/32", 0), format!("{NAME}:3:11"));
    assert_eq!(r.at("10.0.7", 0), format!("{NAME}:5:4"));
    assert_eq!(r.at("$ADDRy", 0), format!("{NAME}:7:23"));
    assert_eq!(r.at("10.0.7,", 0), format!("{NAME}:7:30"));
    assert_eq!(r.at("10.0.7z", 0), format!("{NAME}:7:37"));
    assert_eq!(r.at("e[]", 0), format!("{NAME}:9:1"));
    assert_eq!(r.at("]", 0), format!("{NAME}:9:11"));
    assert_eq!(r.at("priority", 0), format!("{NAME}:11:10"));
    assert!(r.diags().is_empty());
}

#[test]
fn dump_origins_shows_files_lines_and_segments() {
    let r = run("$V=a b\n  k $V c\nplain\n");
    assert_eq!(
        dump_origins(&r.p, &r.sm),
        format!("{NAME}:2: k a b c    [(1, 3), (4, 5), (5, 5), (6, 7)]\n{NAME}:3: plain\n")
    );
}

#[test]
fn multi_line_definitions_expand_to_several_lines() {
    let r = run(
        "$INST= \\\nvrrp_instance VI_${N} { \\\n   priority 1${N}0 # comment \\\n\
             # a comment line inside\n}\n$N=1\n$INST\n$N=2\n  $INST\npre $INST post\n\
             $TWO=a \\\n\nb\nx $TWO\n",
    );
    assert_eq!(
        r.lines(),
        [
            "vrrp_instance VI_1 {",
            "priority 110",
            "}",
            "vrrp_instance VI_2 {",
            "priority 120",
            "}",
            "pre $INST post",
            "b",
            "x a",
        ]
    );
    let lines: Vec<u32> = r.p.origins().map(|o| o.line).collect();
    assert_eq!(lines, [7, 7, 7, 9, 9, 9, 10, 13, 14]);
    assert_eq!(r.at("vrrp_instance", 0), format!("{NAME}:7:1"));
    assert_eq!(r.at("VI_2", 0), format!("{NAME}:9:3"));
    assert_eq!(r.at("priority", 1), format!("{NAME}:9:3"));
    assert_eq!(r.at("120", 0), format!("{NAME}:9:3"));
    assert_eq!(r.at("a", 2), format!("{NAME}:14:3"));
    assert!(r.diags().is_empty());
}

#[test]
fn recursive_definition_stops_with_a_warning() {
    let r = run("$X=${X}a\nk ${X}\n$Y=$Y\nl $Y\n");
    let a = "a".repeat(usize::from(MAX_SUBST_DEPTH));
    assert_eq!(r.lines(), [format!("k ${{X}}{a}").as_str(), "l $Y"]);
    let msg = |line, col, name| {
        format!(
            "{NAME}:{line}:{col}: warning: substitution of `${name}` nests more than 32 deep \
                 or grows the line past 16384 characters (a definition that uses itself?); \
                 left as is"
        )
    };
    assert_eq!(r.diags(), [msg(2, 3, "X"), msg(4, 3, "Y")]);
}

#[test]
fn built_in_definitions() {
    let text = "pwd ${_PWD}\ninst ${_INSTANCE} $_INSTANCE\nh ${_HASH}x${_BANG} \"${_HASH}\"\n\
                    env ${_ENV SITE} [${_ENV NOPE}]\nr ${_RANDOM} ${_RANDOM 5 6} ${_RANDOM 3 3} \
                    ${_RANDOM 30000}\nlit ${_RANDOM a} ${_INSTANCE 1} ${_ENV} ${_ENV A B}\n\
                    $_PWD=mine\nover ${_PWD}\nbad ${_RANDOM 9 2} ${_RANDOM 1 2 3}\n";
    let r = run_with(&opts("lb1"), text);
    let lines = r.lines();
    assert_eq!(
        lines[..4],
        [
            "pwd /kprs-test/etc",
            "inst lb1 lb1",
            "h #x! \"#\"",
            "env paris []"
        ]
    );
    let nums: Vec<u64> = lines[4]
        .split(' ')
        .skip(1)
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(
        nums[0] <= 32767 && (5..=6).contains(&nums[1]) && nums[2] == 3,
        "{nums:?}"
    );
    assert!((30000..=32767).contains(&nums[3]), "{nums:?}");
    assert_eq!(
        lines[5],
        "lit ${_RANDOM a} ${_INSTANCE 1} ${_ENV} ${_ENV A B}"
    );
    assert_eq!(lines[6], "over mine");
    let bad: Vec<u64> = lines[7]
        .split(' ')
        .skip(1)
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(
        (2..=9).contains(&bad[0]) && (1..=2).contains(&bad[1]),
        "{bad:?}"
    );
    assert_eq!(r.at("lb1", 1), format!("{NAME}:2:19"));
    assert_eq!(r.at("#x", 0), format!("{NAME}:3:3"));
    assert_eq!(r.at("x!", 0), format!("{NAME}:3:11"));
    assert_eq!(r.at("paris", 0), format!("{NAME}:4:5"));
    assert_eq!(
        r.diags(),
        [
            format!(
                "{NAME}:4:19: note: environment variable NOPE is not set; ${{_ENV NOPE}} is empty"
            ),
            format!("{NAME}:9:5: warning: ${{_RANDOM 9 2}}: MIN is greater than MAX; using 2..9"),
            format!("{NAME}:9:20: warning: ${{_RANDOM}} takes at most MIN and MAX; ignoring 3"),
        ]
    );
    // Deterministic by seed.
    assert_eq!(run_with(&opts("lb1"), text).p, r.p);
    let mut other = opts("lb1");
    other.random_seed = 8;
    assert_ne!(run_with(&other, text).lines()[4], lines[4]);
}

#[test]
fn sequences_and_lists() {
    let r = run(
        "~SEQ(i, 3) a$i\n~SEQx(h,0x9,0xb) h${h}\n~SEQ(i,5,-2,1) d$i\n~SEQ(i,-2) m$i\n\
             ~LST(v, x, , y) l[${v}]\n~LST({a,b},{1,2},{3}) p${a}_${b}\n\
             ~SEQ(i,1,2) ~LST(c,x,y) n${i}$c\n$N=2\n~SEQ(j,$N) q$j\n$S=~SEQ(k,1,2)\n$S s$k\n\
             after $i $k\n~SEQ(i,0)\n",
    );
    assert_eq!(
        r.lines(),
        [
            "a1",
            "a2",
            "a3",
            "h9",
            "ha",
            "hb",
            "d5",
            "d3",
            "d1",
            "m-1",
            "m-2",
            "l[x]",
            "l[]",
            "l[y]",
            "p1_2",
            "p3_",
            "n1x",
            "n1y",
            "n2x",
            "n2y",
            "q1",
            "q2",
            "s1",
            "s2",
            "after 2 2",
        ]
    );
    assert_eq!(r.at("a2", 0), format!("{NAME}:1:12"));
    assert_eq!(r.at("hb", 0), format!("{NAME}:2:18"));
    assert_eq!(r.at("b", 0), format!("{NAME}:2:19"));
    assert_eq!(r.at("l[]", 0), format!("{NAME}:5:17"));
    assert_eq!(r.at("n2y", 0), format!("{NAME}:7:25"));
    assert_eq!(r.at("s2", 0), format!("{NAME}:11:4"));
    assert!(r.diags().is_empty());
}

#[test]
fn sequence_errors_are_located() {
    let r = run(
        "~SEQ(i,1,-2,7) x\n~SEQ(i,a) x\n~SEQx(i,-1,2) x\n~SEQ i x\n~SEQ(i,1\n\
             ~LST(v) x\n~LST({a},{1,2}) x\n~LST(v,\"q r\") x\n~SEQ(1i,2) x\nok\n",
    );
    assert_eq!(r.lines(), ["ok"]);
    let usage = "expected (VAR, [START,] [STEP,] END)";
    let lst = "expected (VAR, VALUE...) or ({VAR, ...}, {VALUE, ...}...)";
    assert_eq!(
        r.diags(),
        [
            format!(
                "{NAME}:1:8: warning: invalid ~SEQ: step -2 does not go from 1 to 7; line ignored"
            ),
            format!(
                "{NAME}:2:8: warning: invalid ~SEQ: `a` is not a number, {usage}; line ignored"
            ),
            format!(
                "{NAME}:3:9: warning: invalid ~SEQx: ~SEQx takes only non-negative numbers; \
                     line ignored"
            ),
            format!("{NAME}:4:1: warning: invalid ~SEQ: expected `(` after `~SEQ`; line ignored"),
            format!("{NAME}:5:1: warning: invalid ~SEQ: no closing `)`; line ignored"),
            format!("{NAME}:6:6: warning: invalid ~LST: no values, {lst}; line ignored"),
            format!("{NAME}:7:10: warning: invalid ~LST: 2 values for 1 variables; line ignored"),
            format!(
                "{NAME}:8:8: warning: invalid ~LST: bad value `\"q r\"` (no blanks or quotes), \
                     {lst}; line ignored"
            ),
            format!(
                "{NAME}:9:6: warning: invalid ~SEQ: `1i` is not a variable name, {usage}; \
                     line ignored"
            ),
        ]
    );
}

#[test]
fn man_page_style_nested_sequences_over_a_multi_line_definition() {
    let r = run(
        "$VI= \\\nvrrp_instance v.${IF}.${NUM}.${ID} { \\\n  virtual_router_id ${ID} \\\n}\n\
             ~SEQ(IF,0,1) ~SEQ(NUM,0,3) ~SEQ(ID,1,254) $VI\n",
    );
    let lines = r.lines();
    assert_eq!(lines.len(), 2 * 4 * 254 * 3);
    assert_eq!(
        lines[..3],
        ["vrrp_instance v.0.0.1 {", "virtual_router_id 1", "}"]
    );
    assert_eq!(
        lines[lines.len() - 3..],
        ["vrrp_instance v.1.3.254 {", "virtual_router_id 254", "}"]
    );
    assert!(r.p.origins().all(|o| o.line == 5));
    assert_eq!(r.at("vrrp_instance", 0), format!("{NAME}:5:43"));
}

#[test]
fn blocks_nested_too_deep_stop_preprocessing() {
    // 64 levels are read; the 65th stops before the grammar, which recurses (the fuzzer
    // overflowed the stack with 4,000 levels).
    let ok = "a {\n".repeat(64);
    let r = run_with(&opts("main"), &ok);
    assert!(r.diags().is_empty(), "{:?}", r.diags());
    let deep = format!("{ok}b {{ c\n");
    let r = run_with(&opts("main"), &deep);
    assert_eq!(r.lines().len(), 64);
    assert_eq!(
        r.diags(),
        [format!(
            "{NAME}:65:1: error: blocks nest more than 64 deep; preprocessing stopped here"
        )]
    );
    let r = run_with(&opts("main"), &"{".repeat(5000));
    assert_eq!(r.lines().len(), 0);
}

#[test]
fn expansion_stops_at_the_line_budget() {
    let mut o = opts("main");
    o.max_lines = 10;
    let r = run_with(&o, "~SEQ(i,1,100) x$i\n");
    assert_eq!(r.lines().len(), 10);
    assert_eq!(
        r.diags(),
        [format!(
            "{NAME}:1:15: error: the configuration expands to more than 10 lines; \
                 preprocessing stopped here"
        )]
    );
    // Sequences that only define things are counted too.
    let r = run_with(&o, "~SEQ(i,1,1000000) $X=$i\nafter\n");
    assert!(r.lines().is_empty());
    assert_eq!(
        r.diags(),
        [format!(
            "{NAME}:1:19: error: the configuration expands to more than 40 logical lines; \
                 preprocessing stopped here"
        )]
    );
}

#[test]
#[ignore = "timing: cargo test --release -- --ignored man_page_65024"]
fn man_page_65024_instances() {
    let vi4 = "$VI4= \\\ntrack_file offset_instance_4.${IF}.${NUM}.${ID} { \\\n\
            file \"${_PWD}/679/track_files/4.${IF}.${NUM}.${ID}\" \\\nweight -100 \\\n} \\\n\
            vrrp_instance vrrp4.${IF}.${NUM}.${ID} { \\\ninterface bond${IF}.${NUM} \\\n\
            use_vmac vrrp4.${IF}.${NUM}.${ID} \\\nvirtual_router_id ${ID} \\\npriority 130 \\\n\
            virtual_ipaddress { \\\n10.${IF}.${NUM}.${ID}/24 \\\n} \\\ntrack_file { \\\n\
            offset_instance_4.${IF}.${NUM}.${ID} \\\n} \\\n}\n\
            ~SEQ(IF,0,7) ~SEQ(NUM,0,31) ~SEQ(ID,1,254) $VI4\n";
    let t = std::time::Instant::now();
    let r = run(vi4);
    eprintln!(
        "{} lines, {} bytes in {:?}",
        r.p.line_count(),
        r.p.text.len(),
        t.elapsed()
    );
    assert_eq!(r.p.line_count(), 65024 * 16);
    assert!(r.diags().is_empty(), "{:?}", r.diags());
}

#[test]
fn includes_nest_sort_and_resolve_relative_paths() {
    let td = TempDir::new("incl");
    let main = td.write(
        "main.conf",
        "global_defs {\ninclude conf.d/*.conf\n}\ninclude sub/{b,a}.conf\n\
             includer missing*.conf\ninclude missing.conf\n  include sub/deeper/x.conf\n\
             $D=sub\ninclude ${D}/a.conf\n~LST(f,a,b) include sub/${f}.conf\nend ${_PWD}\n",
    );
    td.write("conf.d/20-b.conf", "b20 ${_PWD}\n");
    td.write("conf.d/10-a.conf", "a10\n");
    td.write("conf.d/.hidden.conf", "hidden\n");
    td.write("conf.d/notes.txt", "txt\n");
    td.write("sub/a.conf", "suba\n");
    td.write("sub/b.conf", "  subb\n");
    td.write("sub/deeper/x.conf", "x1\ninclude ../a.conf\n");
    let r = run_file(&opts("main"), &main);
    let root = td.0.display().to_string();
    assert_eq!(
        r.lines(),
        [
            "global_defs {",
            "a10",
            format!("b20 {root}/conf.d").as_str(),
            "}",
            "subb",
            "suba",
            "x1",
            "suba",
            "suba",
            "suba",
            "subb",
            format!("end {root}").as_str(),
        ]
    );
    assert_eq!(
        r.at("a10", 0),
        format!("{}:1:1", td.path("conf.d/10-a.conf"))
    );
    assert_eq!(
        r.at("b20", 0),
        format!("{}:1:1", td.path("conf.d/20-b.conf"))
    );
    assert_eq!(r.at("subb", 0), format!("{}:1:3", td.path("sub/b.conf")));
    assert_eq!(
        r.at("x1", 0),
        format!("{}:1:1", td.path("sub/deeper/x.conf"))
    );
    assert_eq!(
        r.at("suba", 1),
        format!("{}:1:1", td.path("sub/deeper/../a.conf"))
    );
    assert_eq!(r.at("end", 0), format!("{}:11:1", td.path("main.conf")));
    let files: Vec<String> = r.sm.files().map(|p| p.display().to_string()).collect();
    assert_eq!(files.len(), 10);
    assert_eq!(files[0], main.display().to_string());
    let hint = format!("relative paths are resolved in {root}");
    assert_eq!(
        r.diags(),
        [
            format!(
                "{}:5:10: note: No config files matched 'missing*.conf'.",
                td.path("main.conf")
            ),
            format!(
                "{}:6:9: warning: Config files missing 'missing.conf'.",
                td.path("main.conf")
            ),
        ]
    );
    assert!(
        r.d.list
            .iter()
            .all(|d| d.hint.as_deref() == Some(hint.as_str()))
    );
}

#[test]
fn includes_not_read_match_nothing() {
    let td = TempDir::new("noread");
    td.write("sub/a.conf", "suba\n");
    let main = td.write("main.conf", "include sub/a.conf\ninclude sub/*.conf\nend\n");
    let mut o = opts("main");
    o.read_includes = false;
    let r = run_file(&o, &main);
    assert_eq!(r.lines(), ["end"]);
    let d = r.diags();
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(d[0].contains("Config files missing 'sub/a.conf'"), "{d:?}");
    assert!(
        d[1].contains("No config files matched 'sub/*.conf'"),
        "{d:?}"
    );
}

#[test]
fn include_variants_decide_severity() {
    let td = TempDir::new("variants");
    td.write("ok.conf", "ok\n");
    let exe = td.write("exec.conf", "exe\n");
    fs::set_permissions(&exe, fs::Permissions::from_mode(0o755)).unwrap();
    fs::create_dir_all(td.0.join("dir.conf")).unwrap();
    let cases: &[(&str, Severity, &str)] = &[
        (
            "include nothere.conf",
            Severity::Warning,
            "Config files missing 'nothere.conf'.",
        ),
        (
            "includer nothere.conf",
            Severity::Warning,
            "Config files missing 'nothere.conf'.",
        ),
        (
            "includem nothere.conf",
            Severity::Fatal,
            "Config files missing 'nothere.conf'.",
        ),
        (
            "includew nothere.conf",
            Severity::Fatal,
            "Config files missing 'nothere.conf'.",
        ),
        (
            "includeb nothere.conf",
            Severity::Fatal,
            "Config files missing 'nothere.conf'.",
        ),
        (
            "include no*.conf",
            Severity::Note,
            "No config files matched 'no*.conf'.",
        ),
        (
            "includem no*.conf",
            Severity::Note,
            "No config files matched 'no*.conf'.",
        ),
        (
            "includew no*.conf",
            Severity::Fatal,
            "No config files matched 'no*.conf'.",
        ),
        (
            "includea no*.conf",
            Severity::Fatal,
            "No config files matched 'no*.conf'.",
        ),
        (
            "includem {n1,n2}.conf",
            Severity::Warning,
            "Config files missing '{n1,n2}.conf'.",
        ),
        (
            "includeb {n1,n2}.conf",
            Severity::Fatal,
            "Config files missing '{n1,n2}.conf'.",
        ),
        (
            "include {ok,n1}.conf",
            Severity::Warning,
            "Some config files missing: \"{ok,n1}.conf\".",
        ),
        (
            "includew {ok,n1}.conf",
            Severity::Warning,
            "Some config files missing: \"{ok,n1}.conf\".",
        ),
        (
            "includeb {ok,n1}.conf",
            Severity::Fatal,
            "Some config files missing: \"{ok,n1}.conf\".",
        ),
        (
            "include exec.conf",
            Severity::Warning,
            "is not a regular non-executable file - skipping",
        ),
        (
            "includer exec.conf",
            Severity::Fatal,
            "is not a regular non-executable file - skipping",
        ),
        (
            "include dir.conf",
            Severity::Warning,
            "/dir.conf/' is a directory - skipping",
        ),
        (
            "includea dir.conf",
            Severity::Fatal,
            "/dir.conf/' is a directory - skipping",
        ),
    ];
    for &(line, severity, message) in cases {
        let main = td.write("main.conf", &format!("a\n  {line}\n"));
        let r = run_file(&opts("main"), &main);
        assert_eq!(r.d.list.len(), 1, "{line}: {:?}", r.diags());
        let d = &r.d.list[0];
        assert_eq!(
            (d.severity, d.loc.map(|l| (l.line, l.col))),
            (severity, Some((2, 3 + line.find(' ').unwrap() as u32 + 1))),
            "{line}"
        );
        assert!(d.message.ends_with(message), "{line}: {}", d.message);
        let expect_ok = line.contains("{ok,");
        assert_eq!(
            r.lines(),
            if expect_ok {
                vec!["a", "ok"]
            } else {
                vec!["a"]
            },
            "{line}"
        );
    }
    // -e makes every check fatal, even for a plain include of a wildcard.
    let main = td.write("main.conf", "include no*.conf\n");
    let mut all = opts("main");
    all.all_config = true;
    assert_eq!(
        run_file(&all, &main).diags(),
        [format!(
            "{}:1:9: error: No config files matched 'no*.conf'.",
            td.path("main.conf")
        )]
    );
}

#[test]
fn include_cycles_are_reported_not_followed() {
    let td = TempDir::new("cycle");
    let a = td.write("a.conf", "in_a\ninclude b.conf\n");
    td.write("b.conf", "in_b\n include a.conf\n");
    let r = run_file(&opts("main"), &a);
    assert_eq!(r.lines(), ["in_a", "in_b"]);
    assert_eq!(
        r.diags(),
        [format!(
            "{}:2:10: error: include cycle: '{}' is already being read - skipping",
            td.path("b.conf"),
            td.path("a.conf")
        )]
    );
    assert_eq!(
        r.d.list[0].hint.as_deref(),
        Some(
            format!(
                "include chain: {} -> {}",
                td.path("a.conf"),
                td.path("b.conf")
            )
            .as_str()
        )
    );
    let s = td.write("self.conf", "include self.conf\n");
    let r = run_file(&opts("main"), &s);
    assert_eq!(r.d.count(Severity::Fatal), 1);
}

#[test]
fn include_check_and_random_seed_in_global_defs() {
    let td = TempDir::new("check");
    td.write(
        "relax.conf",
        "global_defs {\n include_check -match wildcard_match brace_match\n}\ninclude gone1.conf\n",
    );
    let main = td.write(
        "main.conf",
        "global_defs {\n  include_check\n}\ninclude relax.conf\ninclude gone2.conf\n\
             global_defs { include_check readable }\ninclude gone3.conf\n",
    );
    let r = run_file(&opts("main"), &main);
    let sev: Vec<(Severity, String)> =
        r.d.list
            .iter()
            .map(|d| (d.severity, d.message.clone()))
            .collect();
    assert_eq!(
        sev,
        [
            (
                Severity::Warning,
                "Config files missing 'gone1.conf'.".to_string()
            ),
            (
                Severity::Fatal,
                "Config files missing 'gone2.conf'.".to_string()
            ),
            (
                Severity::Warning,
                "Config files missing 'gone3.conf'.".to_string()
            ),
        ]
    );
    let seeded = run("global_defs {\n  random_seed 5\n}\nr ${_RANDOM}\n");
    let mut five = opts("main");
    five.random_seed = 5;
    assert_eq!(
        seeded.lines()[3],
        run_with(&five, "r ${_RANDOM}\n").lines()[0]
    );
    let ignored = run("vrrp_instance x {\n  random_seed 5\n}\nr ${_RANDOM}\n");
    assert_eq!(ignored.lines()[3], run("r ${_RANDOM}\n").lines()[0]);
}

#[test]
fn missing_main_file_is_fatal() {
    let r = run_file(&opts("main"), Path::new("/kprs-nonexistent/k.conf"));
    assert!(r.lines().is_empty());
    assert_eq!(
        r.diags(),
        [
            "error: cannot read configuration file '/kprs-nonexistent/k.conf': \
              No such file or directory (os error 2)"
        ]
    );
    assert_eq!(r.d.exit_status(), 2);
}

#[test]
fn long_lines_are_kept_whole_but_warned_about() {
    let long = "a".repeat(1100);
    let r = run(&format!(
        "k {long}\n$X={}\nx ${{X}}${{X}}\nshort\n",
        "b".repeat(600)
    ));
    assert_eq!(r.lines()[0].len(), 1102);
    assert_eq!(r.lines()[1].len(), 2 + 1200);
    assert_eq!(
        r.diags(),
        [
            format!(
                "{NAME}:1:1024: warning: line is 1102 bytes long; keepalived reads at most 1023 \
                     bytes per line and would start a new line here"
            ),
            format!(
                "{NAME}:3:1: warning: after substitution this line is 1202 bytes long; \
                     keepalived stops substituting at 1023 bytes"
            ),
        ]
    );
}

#[test]
fn bad_bytes_are_reported_once_with_their_location() {
    let (mut sm, mut d) = (SourceMap::new(), Diagnostics::default());
    let bytes = b"ok\r\nk \xff\xfe x \xff\nn\x00rest\nz \xc3\xa9 \xff\n";
    let p = preprocess_bytes(Path::new(NAME), bytes, &opts("main"), &mut sm, &mut d);
    let r = Run { p, sm, d };
    assert_eq!(
        r.lines(),
        [
            "ok",
            "k \u{fffd}\u{fffd} x \u{fffd}",
            "n",
            "z \u{e9} \u{fffd}"
        ]
    );
    assert_eq!(r.at("x", 0), format!("{NAME}:2:6"));
    assert_eq!(
        r.diags(),
        [
            format!(
                "{NAME}:2:3: warning: invalid UTF-8 (byte 0xff); invalid bytes in this file \
                     are read as U+FFFD"
            ),
            format!(
                "{NAME}:3:2: warning: NUL byte: the rest of the line is ignored (as keepalived does)"
            ),
        ]
    );
}

#[test]
fn brace_expansion_is_csh_like() {
    let e = |p: &str| brace_expand(p).0;
    assert_eq!(e("a{b,c{d,e}}f"), ["abf", "acdf", "acef"]);
    assert_eq!(e("{x,y}{1,2}"), ["x1", "x2", "y1", "y2"]);
    assert_eq!(e("a{}b{c"), ["a{}b{c"]);
    assert_eq!(e("a\\{b,c}"), ["a\\{b,c}"]);
    assert_eq!(e("{,.conf}"), ["", ".conf"]);
    let (many, braces, cut) = brace_expand(&"{a,b}".repeat(20));
    assert!(braces && cut && many.len() == MAX_BRACE_ALTERNATIVES);
}

#[test]
fn random_input_never_panics_and_lines_match_origins() {
    let pieces: &[&[u8]] = &[
        b"$A=",
        b"$B=${A}${A} ",
        b"${A}",
        b"$A ",
        b"~SEQ(i,1,3) ",
        b"~SEQx(i,9,0xb) ",
        b"~LST(v,a,b) ",
        b"~LST({a,b},{1,2}) ",
        b"@main ",
        b"@^x ",
        b"\\\n",
        b"\n",
        b"\n\n",
        b"#",
        b"!",
        b"\"",
        b"'",
        b"\\",
        b"${_RANDOM 1 2}",
        b"${_ENV SITE}",
        b"${_PWD}",
        b"include ",
        b"includea ",
        b"*",
        b"{a,b}",
        b"$i",
        b"${i}",
        b" ",
        b"\t",
        b"x",
        b"{",
        b"}",
        b"(",
        b")",
        b",",
        b"\xff",
        b"\0",
        b"\r",
        b"\xc3\xa9",
        b"global_defs {\n",
        b"include_check\n",
        b"random_seed 3\n",
        b"$M= \\\n",
        b"$M\n",
    ];
    let mut rng = Rng::new(42);
    let mut o = opts("main");
    o.max_lines = 2000;
    for round in 0..3000 {
        let mut bytes = Vec::new();
        let n = rng.below(40) as usize;
        for _ in 0..n {
            if round % 3 == 0 {
                bytes.push(rng.next_u64() as u8);
            } else {
                bytes.extend_from_slice(pieces[rng.below(pieces.len() as u64) as usize]);
            }
        }
        let (mut sm, mut d) = (SourceMap::new(), Diagnostics::default());
        let name = Path::new("/kprs-fuzz-nonexistent/k.conf");
        // KPRS_FUZZ_DEBUG=1 prints each input, to find the one that hangs or fails.
        if std::env::var("KPRS_FUZZ_DEBUG").is_ok() {
            eprintln!("{round}: {:?}", String::from_utf8_lossy(&bytes));
        }
        let p = preprocess_bytes(name, &bytes, &o, &mut sm, &mut d);
        let text_lines = if p.line_count() == 0 {
            0
        } else {
            p.text.split('\n').count()
        };
        assert_eq!(
            text_lines,
            p.line_count(),
            "{:?}",
            String::from_utf8_lossy(&bytes)
        );
        for o in p.origins() {
            assert!(o.segments.windows(2).all(|w| w[0].0 < w[1].0));
            assert!(o.line >= 1);
        }
        let mut cursor = p.cursor();
        for off in (0..=p.text.len()).filter(|&i| p.text.is_char_boundary(i)) {
            let loc = cursor.loc(off);
            assert!(p.line_count() == 0 || loc.is_some_and(|l| l.col >= 1));
        }
    }
}
