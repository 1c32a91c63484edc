import { useParams } from "react-router";
import { useUser } from "@/features/auth/api/auth";
import { RoomView } from "@/features/chat/components/room-view";

export default function RoomRoute() {
  const { id = "" } = useParams();
  const me = useUser();
  if (!me) return null; // the layout redirects to /login
  return <RoomView key={id} roomId={id} me={me} />;
}
