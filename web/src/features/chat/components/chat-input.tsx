import { ArrowUp, ImagePlus, Pencil, Reply, X } from "lucide-react";
import { useEffect, useImperativeHandle, useRef, useState } from "react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { StickerPicker } from "@/features/stickers/components/sticker-picker";
import { acceptImages, MAX_IMAGE_BYTES, MAX_IMAGES } from "@/features/uploads/lib/image-upload";
import { displayNameOf, useUserById } from "@/features/users/api/users";
import { cn, randomId } from "@/lib/utils";
import type { Message } from "@/types/api";
import { askNotificationPermissionOnce } from "../hooks/use-room-attention";
import { insertMention } from "../lib/mentions";
import { MAX_TEXT, snippetOf } from "../lib/room-session";
import { BlobImage, ImageViewer } from "./image-viewer";
import { useRoomCtx } from "./room-context";

export type ChatInputHandle = {
  insertMention: (name: string) => void;
  focus: () => void;
  /** Attaches images (a drop on the room): what is not an image, and past 10, is left out. */
  addFiles: (files: File[]) => void;
};

type Attachment = { id: string; file: File };

/** The picked images, 64 px each, before sending: a click zooms, ✕ removes. */
function AttachmentStrip({ items, onRemove }: { items: Attachment[]; onRemove: (id: string) => void }) {
  const [open, setOpen] = useState(false);
  const [shown, setShown] = useState<Attachment | null>(null);
  return (
    <>
      <ul className="flex gap-2 overflow-x-auto px-3 pt-3" aria-label="Attached images" data-testid="attachments">
        {items.map((a, i) => (
          <li key={a.id} className="group/att relative size-16 shrink-0" data-testid="attachment">
            <button
              type="button"
              className="block size-full overflow-hidden rounded-lg border bg-muted outline-none focus-visible:ring-[3px] focus-visible:ring-ring/50"
              onClick={() => {
                setShown(a);
                setOpen(true);
              }}
              aria-label={`View attached image ${i + 1}${a.file.name ? ` (${a.file.name})` : ""}`}
            >
              <BlobImage blob={a.file} alt="" width={64} height={64} className="size-full object-cover" />
            </button>
            <button
              type="button"
              className="absolute -top-1.5 -right-1.5 hidden size-5 place-items-center rounded-full border bg-background text-muted-foreground shadow-sm group-focus-within/att:grid group-hover/att:grid hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring [@media(hover:none)]:grid"
              onClick={() => onRemove(a.id)}
              aria-label={`Remove attached image ${i + 1}`}
              data-testid="remove-attachment"
            >
              <X className="size-3" />
            </button>
          </li>
        ))}
      </ul>
      <ImageViewer open={open} onOpenChange={setOpen} source={shown ? { blob: shown.file } : null} title={shown?.file.name || "Attached image"} />
    </>
  );
}

const draftKey = (roomId: string) => `roomchat.draft.${roomId}`;

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

const CONTEXT_ID = "composer-context";

function ContextBar({ icon, title, text, onCancel, cancelLabel }: { icon: React.ReactNode; title: string; text: string; onCancel: () => void; cancelLabel: string }) {
  // The message box names this bar in aria-describedby: focusing it for a reply or an edit says
  // "Replying to Ann: …" or "Editing message: …".
  return (
    <div className="flex items-center gap-2 border-b px-3 py-2 text-xs" data-testid="composer-context" id={CONTEXT_ID}>
      <span className="text-primary">{icon}</span>
      <div className="min-w-0 flex-1">
        <div className="font-medium">{title}</div>
        <div className="truncate text-muted-foreground">{text}</div>
      </div>
      <Button variant="ghost" size="icon-sm" className="size-7" onClick={onCancel} aria-label={cancelLabel}>
        <X className="size-4" />
      </Button>
    </div>
  );
}

function ReplyBar({ message, onCancel }: { message: Message; onCancel: () => void }) {
  const author = useUserById(message.author.userId);
  return <ContextBar icon={<Reply className="size-4" />} title={`Replying to ${displayNameOf(author.data, message.author.userId)}`} text={snippetOf(message)} onCancel={onCancel} cancelLabel="Cancel reply" />;
}

export function ChatInput({
  replyTo,
  editing,
  onCancelReply,
  onCancelEdit,
  onSent,
  onEditLast,
  ref,
}: {
  replyTo: Message | null;
  editing: Message | null;
  onCancelReply: () => void;
  onCancelEdit: () => void;
  onSent: () => void;
  onEditLast: () => void;
  ref?: React.Ref<ChatInputHandle>;
}) {
  const { session, room } = useRoomCtx();
  const [text, setText] = useState(() => sessionStorage.getItem(draftKey(room.id)) ?? "");
  const [savedDraft, setSavedDraft] = useState<string | null>(null);
  const textareaRef = useRef<HTMLTextAreaElement>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const composing = useRef(false);
  const [attachments, setAttachments] = useState<Attachment[]>([]);

  const addFiles = (files: File[]) => {
    if (files.length === 0) return;
    const r = acceptImages(files, MAX_IMAGES - attachments.length);
    if (r.notImages > 0) toast.error(r.notImages === 1 ? "Only images can be attached." : `${r.notImages} files were left out: only images can be attached.`);
    if (r.tooLarge > 0) toast.error(`Images larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB cannot be sent.`);
    if (r.overLimit > 0) toast.error(`You can only send up to ${MAX_IMAGES} images at a time.`);
    if (r.accepted.length) setAttachments((cur) => [...cur, ...r.accepted.map((file) => ({ id: randomId(), file }))].slice(0, MAX_IMAGES));
  };

  // Editing puts the message's text in the box; cancelling brings the draft back. Adjusted while
  // rendering when the edited message changes (no effect copying props into state).
  const editSeq = editing?.seq ?? null;
  const [shownEditSeq, setShownEditSeq] = useState<number | null>(null);
  if (editSeq !== shownEditSeq) {
    setShownEditSeq(editSeq);
    if (editing) {
      setSavedDraft(savedDraft ?? text);
      setText(editing.text ?? "");
    } else if (savedDraft !== null) {
      setText(savedDraft);
      setSavedDraft(null);
    }
  }

  // Starting an edit or a reply puts the keyboard focus in the box (caret at the end).
  const replySeq = replyTo?.seq ?? null;
  useEffect(() => {
    if (editSeq === null && replySeq === null) return;
    const el = textareaRef.current;
    el?.focus();
    el?.setSelectionRange(el.value.length, el.value.length);
  }, [editSeq, replySeq]);

  useEffect(() => {
    if (editing) return;
    if (text) sessionStorage.setItem(draftKey(room.id), text);
    else sessionStorage.removeItem(draftKey(room.id));
  }, [text, editing, room.id]);

  useImperativeHandle(ref, () => ({
      insertMention: (name: string) => {
        const el = textareaRef.current;
        const focused = el && el.ownerDocument.activeElement === el;
        const start = focused ? el.selectionStart : text.length;
        const end = focused ? el.selectionEnd : text.length;
        const r = insertMention(text, start, end, name, MAX_TEXT);
        if (!r) {
          toast.error("Message is too long to add this mention.");
          return;
        }
        setText(r.value);
        requestAnimationFrame(() => {
          el?.focus();
          el?.setSelectionRange(r.caret, r.caret);
        });
      },
      focus: () => textareaRef.current?.focus(),
      addFiles: (files: File[]) => {
        if (editing) {
          toast.error("Finish editing before attaching images.");
          return;
        }
        addFiles(files);
        textareaRef.current?.focus();
      },
  }));

  // The server counts code points (an emoji is one), not UTF-16 units.
  const length = codePoints(text.trim());
  const tooLong = length > MAX_TEXT;
  const empty = text.trim().length === 0;

  const submit = () => {
    const value = text.trim();
    if (tooLong) return;
    if (!editing && attachments.length > 0) {
      askNotificationPermissionOnce();
      session.sendImages(
        attachments.map((a) => a.file),
        { replyTo: replyTo ?? undefined, caption: value || undefined },
      );
      setAttachments([]);
      setText("");
      onCancelReply();
      onSent();
      return;
    }
    if (!value) return;
    if (editing) {
      if (value === editing.text) return onCancelEdit();
      if (!session.edit(editing.seq, value)) {
        toast.error("You are offline. The edit was not saved; try again when connected.");
        return;
      }
      onCancelEdit();
      setSavedDraft(null);
      setText(savedDraft ?? "");
      return;
    }
    askNotificationPermissionOnce();
    session.sendText(value, replyTo ?? undefined);
    setText("");
    onCancelReply();
    onSent();
  };

  const onKeyDown = (e: React.KeyboardEvent<HTMLTextAreaElement>) => {
    // IME composition: Enter picks a candidate, it does not send.
    if (e.nativeEvent.isComposing || composing.current || e.keyCode === 229) return;
    if (e.key === "Enter" && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      submit();
    } else if (e.key === "Escape") {
      if (editing) onCancelEdit();
      else if (replyTo) onCancelReply();
    } else if (e.key === "ArrowUp" && text === "" && !editing) {
      e.preventDefault();
      onEditLast();
    }
  };

  return (
    <div className="shrink-0 px-3 pb-3 md:px-6" data-testid="composer">
      <div className="mx-auto w-full max-w-3xl overflow-hidden rounded-xl border bg-card shadow-sm focus-within:border-ring focus-within:ring-[3px] focus-within:ring-ring/30">
        {editing ? (
          <ContextBar icon={<Pencil className="size-4" />} title="Editing message" text={snippetOf(editing)} onCancel={onCancelEdit} cancelLabel="Cancel editing" />
        ) : (
          replyTo && <ReplyBar message={replyTo} onCancel={onCancelReply} />
        )}
        {attachments.length > 0 && !editing && <AttachmentStrip items={attachments} onRemove={(id) => setAttachments((cur) => cur.filter((a) => a.id !== id))} />}
        <div className="flex items-end gap-2 p-2">
          {/* The picker buttons (the call button comes with its own issue and goes here too). */}
          <div data-slot="composer-tools" className="contents">
            <input
              ref={fileRef}
              type="file"
              accept="image/*"
              multiple
              className="hidden"
              tabIndex={-1}
              aria-label="Attach images"
              data-testid="image-input"
              onChange={(e) => {
                addFiles([...(e.target.files ?? [])]);
                e.target.value = ""; // picking the same file again fires again
                textareaRef.current?.focus();
              }}
            />
            <Button
              type="button"
              variant="ghost"
              size="icon"
              className="size-9 shrink-0 rounded-lg text-muted-foreground"
              aria-label="Attach images"
              title="Attach images"
              disabled={!!editing}
              onClick={() => fileRef.current?.click()}
              data-testid="attach-button"
            >
              <ImagePlus className="size-5" />
            </Button>
            <StickerPicker
              disabled={!!editing}
              onPick={(key) => {
                session.sendSticker(key);
                onSent();
              }}
            />
          </div>
          <textarea
            ref={textareaRef}
            value={text}
            rows={1}
            placeholder={editing ? "Edit your message" : attachments.length > 0 ? "Add a caption (optional)" : `Message ${room.name}`}
            aria-label={editing ? "Edit message" : "Message"}
            aria-describedby={editing || replyTo ? CONTEXT_ID : undefined}
            className="max-h-64 min-h-9 flex-1 resize-none bg-transparent px-2 py-2 text-base outline-none [field-sizing:content] placeholder:text-muted-foreground md:text-sm"
            onChange={(e) => {
              setText(e.target.value);
              if (!editing && e.target.value) session.keystroke();
            }}
            onKeyDown={onKeyDown}
            onPaste={(e) => {
              if (editing) return;
              const files = [...e.clipboardData.files].filter((f) => f.type.startsWith("image/"));
              if (files.length === 0) return;
              // A copied picture pastes as an attachment; text copied along with it still pastes.
              if (!e.clipboardData.types.includes("text/plain")) e.preventDefault();
              addFiles(files);
            }}
            onCompositionStart={() => (composing.current = true)}
            onCompositionEnd={() => (composing.current = false)}
            onBlur={() => session.stopTyping()}
            data-testid="composer-input"
          />
          <Button
            type="button"
            size="icon"
            className={cn("size-9 shrink-0 rounded-lg", editing && "bg-emerald-600 hover:bg-emerald-600/90")}
            disabled={(empty && (attachments.length === 0 || !!editing)) || tooLong}
            onClick={submit}
            aria-label={editing ? "Save edit" : "Send"}
            data-testid="send-button"
          >
            <ArrowUp className="size-5" />
          </Button>
        </div>
        {length > MAX_TEXT - 200 && (
          <div className={cn("px-3 pb-2 text-right text-xs", tooLong ? "text-destructive" : "text-muted-foreground")}>
            {length} / {MAX_TEXT}
          </div>
        )}
      </div>
    </div>
  );
}
