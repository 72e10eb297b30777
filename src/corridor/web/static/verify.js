// Verify evidence receipts in the page, with nothing but the browser's WebCrypto.
// A receipt is a C2SP tlog-proof: the entry (extra), its index, the inclusion proof and
// the checkpoint note. Checked here, in the order tlog-proof gives:
//   1. the log's Ed25519 signature over the checkpoint (C2SP signed-note, type 0x01);
//   2. the witnesses' cosignatures (C2SP tlog-cosignature, type 0x04), against the quorum;
//   3. the inclusion proof from SHA-256(0x00 || entry) to the root (RFC 9162 §2.1.3.2);
//   4. the entry's signature by its actor over "corridor/evidence/v1\n" || statement.
"use strict";

const Verify = (() => {
  const enc = new TextEncoder();
  const dec = new TextDecoder();

  function b64(text) {
    const raw = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) { out.set(part, at); at += part.length; }
    return out;
  }

  function equal(a, b) {
    if (a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
    return diff === 0;
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  async function ed25519(publicRaw, signature, message) {
    const key = await crypto.subtle.importKey("raw", publicRaw, { name: "Ed25519" }, false, ["verify"]);
    return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
  }

  // C2SP signed-note verifier key: name+hex(key id)+base64(type || public key).
  async function parseVkey(vkey) {
    const [name, idHex, material] = [vkey.split("+")[0], vkey.split("+")[1], vkey.split("+").slice(2).join("+")];
    const raw = b64(material);
    const type = raw[0];
    const publicRaw = raw.slice(1);
    const digest = await sha256(concat(enc.encode(name + "\n"), new Uint8Array([type]), publicRaw));
    const expected = Array.from(digest.slice(0, 4), (b) => b.toString(16).padStart(2, "0")).join("");
    if (expected !== idHex) throw new Error("verifier key id does not match its key: " + name);
    return { name, keyId: digest.slice(0, 4), type, publicRaw };
  }

  function parseNote(note) {
    const split = note.lastIndexOf("\n\n");
    if (split < 0) throw new Error("checkpoint note has no signatures");
    const text = note.slice(0, split + 1);
    const signatures = note.slice(split + 2).replace(/\n$/, "").split("\n").map((line) => {
      if (!line.startsWith("\u2014 ")) throw new Error("malformed signature line");
      const [name, encoded] = line.slice(2).split(" ");
      const raw = b64(encoded);
      return { name, keyId: raw.slice(0, 4), payload: raw.slice(4) };
    });
    return { text, signatures };
  }

  // RFC 9162 §2.1.3.2: recompute the root from the leaf hash and the audit path.
  async function rootFromProof(index, size, leafHash, proof) {
    if (index >= size) throw new Error("index is outside the tree");
    let fn = index;
    let sn = size - 1;
    let r = leafHash;
    for (const p of proof) {
      if (sn === 0) throw new Error("inclusion proof is too long");
      if (fn % 2 === 1 || fn === sn) {
        r = await sha256(concat(new Uint8Array([1]), p, r));
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        r = await sha256(concat(new Uint8Array([1]), r, p));
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new Error("inclusion proof is too short");
    return r;
  }

  // The checkpoint note: the log's signature is required, cosignatures count to the quorum.
  async function verifyNote(note, trust) {
    const { text: body, signatures } = parseNote(note);
    const origin = body.split("\n")[0];
    if (origin !== trust.origin) throw new Error("checkpoint is from another log: " + origin);
    const log = await parseVkey(trust.vkey);
    let logSigned = false;
    const cosigners = new Set();
    const witnesses = await Promise.all((trust.witnesses || []).map(parseVkey));
    for (const sig of signatures) {
      if (sig.name === log.name && equal(sig.keyId, log.keyId)) {
        logSigned = logSigned || (await ed25519(log.publicRaw, sig.payload, enc.encode(body)));
        continue;
      }
      const witness = witnesses.find((w) => w.name === sig.name && equal(w.keyId, sig.keyId));
      if (!witness || witness.type !== 4 || sig.payload.length !== 72) continue;
      let time = 0n;
      for (const byte of sig.payload.slice(0, 8)) time = (time << 8n) | BigInt(byte);
      const message = enc.encode("cosignature/v1\ntime " + time.toString() + "\n" + body);
      if (await ed25519(witness.publicRaw, sig.payload.slice(8), message)) cosigners.add(witness.name);
    }
    if (!logSigned) throw new Error("the checkpoint is not signed by the log's key");
    if (cosigners.size < (trust.quorum || 0)) {
      throw new Error("only " + cosigners.size + " of " + trust.quorum + " witnesses cosigned");
    }
    return { body, cosigners: [...cosigners] };
  }

  async function verifyReceipt(text, trust, actorKeys) {
    const cut = text.indexOf("\n\n");
    const lines = text.slice(0, cut).split("\n");
    const note = text.slice(cut + 2);
    if (lines[0] !== "c2sp.org/tlog-proof@v1") throw new Error("not a tlog-proof receipt");
    const leaf = b64(lines[1].slice("extra ".length));
    const index = Number(lines[2].slice("index ".length));
    const proof = lines.slice(3).map(b64);
    const { body, cosigners } = await verifyNote(note, trust);
    const [, sizeText, rootText] = body.split("\n");
    const size = Number(sizeText);
    const leafHash = await sha256(concat(new Uint8Array([0]), leaf));
    const root = await rootFromProof(index, size, leafHash, proof);
    if (!equal(root, b64(rootText))) throw new Error("the inclusion proof does not lead to the root");

    // The statement is the last member of the canonical leaf (keys sort kid < sig < statement).
    const leafText = dec.decode(leaf);
    const entry = JSON.parse(leafText);
    const marker = leafText.indexOf(',"statement":');
    const statement = enc.encode(leafText.slice(marker + ',"statement":'.length, -1));
    const actorKey = actorKeys[entry.kid];
    let entrySigned = false;
    if (actorKey) {
      const message = concat(enc.encode("corridor/evidence/v1\n"), statement);
      entrySigned = await ed25519(b64(actorKey), b64(entry.sig), message);
      if (!entrySigned) throw new Error("the entry's signature does not verify");
    }
    return { index, size, cosigners, entrySigned, rootHash: rootText };
  }

  function readJson(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  async function verifyRow(row, trust, keys) {
    const status = row.querySelector("[data-verify-status]");
    status.textContent = status.dataset.working;
    status.dataset.kind = "info";
    try {
      const response = await fetch(row.dataset.receipt, { credentials: "same-origin" });
      if (!response.ok) throw new Error(response.status + " " + (await response.text()).slice(0, 120));
      const result = await verifyReceipt(await response.text(), trust, keys);
      status.textContent = status.dataset.ok
        .replace("{size}", result.size)
        .replace("{cosigners}", result.cosigners.join(", ") || "—")
        + (result.entrySigned ? " " + status.dataset.signed : "");
      status.dataset.kind = "ok";
      row.dataset.verified = "true";
      return true;
    } catch (error) {
      status.textContent = status.dataset.failed + " " + error.message;
      status.dataset.kind = "error";
      row.dataset.verified = "false";
      return false;
    }
  }

  function wire() {
    const trust = readJson("trust-policy");
    const checkpointButton = document.getElementById("verify-checkpoint");
    if (checkpointButton) {
      checkpointButton.addEventListener("click", async () => {
        const status = document.getElementById("checkpoint-status");
        try {
          const note = document.getElementById("checkpoint-note").textContent;
          const result = await verifyNote(note, trust);
          status.textContent = status.dataset.ok.replace("{cosigners}", result.cosigners.join(", "));
          status.dataset.kind = "ok";
        } catch (error) {
          status.textContent = status.dataset.failed + " " + error.message;
          status.dataset.kind = "error";
        }
      });
    }
    const keys = readJson("actor-keys") || {};
    const summary = document.getElementById("verify-summary");
    for (const button of document.querySelectorAll("[data-verify-one]")) {
      button.addEventListener("click", () => verifyRow(button.closest("[data-receipt]"), trust, keys));
    }
    const all = document.getElementById("verify-all");
    if (all) {
      all.addEventListener("click", async () => {
        all.disabled = true;
        const rows = [...document.querySelectorAll("[data-receipt]")];
        let ok = 0;
        for (const row of rows) if (await verifyRow(row, trust, keys)) ok += 1;
        if (summary) {
          summary.textContent = summary.dataset.template.replace("{ok}", ok).replace("{total}", rows.length);
          summary.dataset.kind = ok === rows.length ? "ok" : "error";
        }
        all.disabled = false;
      });
    }
  }

  return { wire, verifyReceipt, verifyNote };
})();

document.addEventListener("DOMContentLoaded", () => { if (document.getElementById("trust-policy")) Verify.wire(); });
