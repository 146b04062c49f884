//! The operator's subscriber list: good lines read, bad lines reported with
//! their number and skipped.

use pressroom_core::Lang;
use pressroom_digest::{Digests, ListError, parse_subscribers};

fn english() -> Lang {
    Lang::parse("en").expect("valid")
}

#[test]
fn subscribers_are_read_and_normalised() {
    let csv = "address,name,language,digests\n\
               Jean.Dupont@Example.ORG ,Jean Dupont,fr,daily; weekly\n\
               amira@example.org,أميرة,ar,\n\
               \"lee@example.org\",\"Lee, Sam\",,weekly\n";
    let list = parse_subscribers(csv.as_bytes(), &english()).expect("a header");
    assert_eq!(list.errors, []);
    let subscribers = &list.subscribers;
    assert_eq!(subscribers.len(), 3);
    assert_eq!(subscribers[0].address.as_str(), "Jean.Dupont@example.org");
    assert_eq!(subscribers[0].lang.as_str(), "fr");
    assert_eq!(
        subscribers[0].digests,
        Digests::Only(vec!["daily".to_owned(), "weekly".to_owned()])
    );
    assert!(subscribers[0].wants("weekly") && !subscribers[0].wants("monthly"));
    assert_eq!(subscribers[1].name, "أميرة");
    assert_eq!(subscribers[1].digests, Digests::All);
    assert!(subscribers[1].wants("anything"));
    assert_eq!(subscribers[2].name, "Lee, Sam");
    assert_eq!(subscribers[2].lang.as_str(), "en", "the default language");
    assert_eq!(subscribers[2].line, 4);
}

#[test]
fn a_malformed_line_is_reported_with_its_number_and_skipped() {
    let csv = "\u{feff}address,name,language,digests\r\n\
               good@example.org,Good,fr,\r\n\
               not-an-address,Bad,fr,\r\n\
               \r\n\
               short@example.org,Short\r\n\
               lang@example.org,Lang,french,\r\n\
               GOOD@example.org,Case differs,fr,\r\n\
               good@EXAMPLE.org,Duplicate,fr,\r\n\
               also-good@example.org,Also good,en-gb,weekly\r\n";
    let list = parse_subscribers(csv.as_bytes(), &english()).expect("a header");
    let addresses: Vec<_> = list
        .subscribers
        .iter()
        .map(|s| s.address.as_str())
        .collect();
    assert_eq!(
        addresses,
        [
            "good@example.org",
            "GOOD@example.org",
            "also-good@example.org"
        ]
    );
    assert_eq!(list.subscribers[2].lang.as_str(), "en-GB");
    let errors: Vec<String> = list.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        [
            "line 3: invalid address 'not-an-address': missing '@'",
            "line 5: expected 4 fields, found 2",
            "line 6: invalid language 'french': expected a language tag such as 'fr', 'ar' or 'en-GB'",
            "line 8: 'good@example.org' is already listed on line 2",
        ]
    );
}

#[test]
fn quoted_fields_may_span_lines_and_line_numbers_stay_right() {
    let csv = "address,name,language,digests\n\
               a@example.org,\"Two\nlines\",fr,\n\
               \n\
               broken,x,fr,\n\
               \r\n   \r\n\
               b@example.org,\"Three\r\nlines\r\nhere\",fr,\n\
               ,x,fr,\n";
    let list = parse_subscribers(csv.as_bytes(), &english()).expect("a header");
    assert_eq!(list.subscribers.len(), 2);
    assert_eq!(list.subscribers[0].name, "Two\nlines");
    assert_eq!(list.subscribers[1].line, 8);
    let lines: Vec<u64> = list.errors.iter().map(|error| error.line).collect();
    assert_eq!(lines, [5, 11]);
}

#[test]
fn columns_may_come_in_any_order_but_the_header_is_required() {
    let csv = "digests,language,name,address\nweekly,ar,Amira,amira@example.org\n";
    let list = parse_subscribers(csv.as_bytes(), &english()).expect("a header");
    assert_eq!(list.subscribers[0].address.as_str(), "amira@example.org");
    assert_eq!(list.subscribers[0].lang.as_str(), "ar");

    for bad in [
        "",
        "jean@example.org,Jean,fr,\n",
        "address,name\n",
        "address,name,language,digests,extra\n",
    ] {
        let error = parse_subscribers(bad.as_bytes(), &english()).expect_err(bad);
        assert!(matches!(error, ListError::Header { .. }), "{bad:?}");
        assert!(error.to_string().contains("address,name,language,digests"));
    }
}

#[test]
fn a_line_that_is_not_utf8_is_reported() {
    let mut csv = b"address,name,language,digests\nx@example.org,".to_vec();
    csv.extend_from_slice(b"Fran\xE7ois,fr,\n");
    let list = parse_subscribers(&csv, &english()).expect("a header");
    assert_eq!(list.subscribers.len(), 0);
    assert_eq!(
        list.errors[0].to_string(),
        "line 2: the line is not valid UTF-8"
    );
}
