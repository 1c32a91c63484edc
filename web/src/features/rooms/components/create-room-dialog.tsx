import { useState } from "react";
import { useNavigate } from "react-router";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Spinner } from "@/components/ui/spinner";
import { errorMessage } from "@/lib/api-client";
import { cn } from "@/lib/utils";
import type { Visibility } from "@/types/api";
import { useCreateRoom } from "../api/rooms";
import { createRoomDialog } from "../lib/dialogs";

const OPTIONS: { value: Visibility; title: string; text: string }[] = [
  { value: "unlisted", title: "Unlisted", text: "Anyone with the link can join. Not listed in discovery." },
  { value: "public", title: "Public", text: "Listed in discovery: anyone signed in can find it, enter and read its history." },
  { value: "private", title: "Private", text: "Only members. Invite people with an invite link." },
];

export function CreateRoomDialog() {
  const { open, visibility: initial } = createRoomDialog.useValue();
  return (
    <Dialog open={open} onOpenChange={(o) => createRoomDialog.set((s) => ({ ...s, open: o }))}>
      <DialogContent>
        {/* keyed so the form resets every time it opens */}
        {open && <CreateRoomForm key={initial + String(open)} initial={initial} />}
      </DialogContent>
    </Dialog>
  );
}

function CreateRoomForm({ initial }: { initial: Visibility }) {
  const [name, setName] = useState("");
  const [visibility, setVisibility] = useState<Visibility>(initial);
  const [error, setError] = useState<string | null>(null);
  const create = useCreateRoom();
  const navigate = useNavigate();

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const n = name.trim();
    if (n.length < 1) return setError("Enter a room name.");
    if (n.length > 64) return setError("At most 64 characters.");
    setError(null);
    create.mutate(
      { name: n, visibility },
      {
        onSuccess: (room) => {
          toast.success("Room created");
          createRoomDialog.set((s) => ({ ...s, open: false }));
          void navigate(`/rooms/${room.id}`);
        },
        onError: (err) => setError(errorMessage(err)),
      },
    );
  };

  return (
    <form onSubmit={submit} className="grid gap-4" data-testid="create-room-form">
      <DialogHeader>
        <DialogTitle>Create a room</DialogTitle>
        <DialogDescription>A room is a conversation with its own history.</DialogDescription>
      </DialogHeader>
      <div className="grid gap-2">
        <Label htmlFor="room-name">Name</Label>
        <Input
          id="room-name"
          placeholder="Enter room name"
          value={name}
          maxLength={64}
          aria-invalid={!!error}
          onChange={(e) => setName(e.target.value)}
        />
        {error && <p className="text-sm text-destructive">{error}</p>}
      </div>
      <fieldset className="grid gap-2">
        <legend className="mb-2 text-sm font-medium">Who can join</legend>
        {OPTIONS.map((o) => (
          <label
            key={o.value}
            className={cn(
              "flex cursor-pointer gap-3 rounded-md border p-3 text-sm transition-colors hover:bg-accent/50",
              visibility === o.value && "border-primary bg-primary/5",
            )}
          >
            <input
              type="radio"
              name="visibility"
              value={o.value}
              checked={visibility === o.value}
              onChange={() => setVisibility(o.value)}
              className="mt-0.5 accent-[var(--primary)]"
            />
            <span>
              <span className="font-medium">{o.title}</span>
              <span className="block text-muted-foreground">{o.text}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <DialogFooter>
        <Button type="button" variant="outline" onClick={() => createRoomDialog.set((s) => ({ ...s, open: false }))}>
          Cancel
        </Button>
        <Button type="submit" disabled={create.isPending}>
          {create.isPending && <Spinner />}
          Create
        </Button>
      </DialogFooter>
    </form>
  );
}
