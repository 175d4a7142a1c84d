#!/usr/bin/python3
"""Print the e-mails of a maildir (the demo's mail sink): date, To, Subject, Message-ID and the
plain text of each, oldest first. `--follow` keeps printing new ones as they arrive.
Usage: scripts/mail-read.py <maildir> [--follow]"""
import email.policy
import mailbox
import sys
import time


def show(msg):
    body = msg.get_body(("plain",))
    print("=" * 72)
    for h in ("Date", "From", "To", "Subject", "Message-ID"):
        print("%-11s %s" % (h + ":", msg[h]))
    print()
    print(body.get_content().rstrip() if body is not None else "(no text part)")
    sys.stdout.flush()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    box = mailbox.Maildir(sys.argv[1], factory=lambda f: email.message_from_binary_file(f, policy=email.policy.default),
                          create=False)
    seen = set()
    while True:
        new = []
        for key in box.keys():
            if key not in seen:
                seen.add(key)
                new.append(key)
        for key in sorted(new, key=lambda k: k.split(".")[0]):
            show(box[key])
        if "--follow" not in sys.argv:
            break
        time.sleep(1)


if __name__ == "__main__":
    main()
