// Link previews (GET /api/preview?url=): cached a day, kept two; an error is final for the
// message (it shows a plain link), so no retries.
import { useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api-client";
import type { LinkPreview } from "../lib/link-preview";

export function useLinkPreview(url: string) {
  return useQuery({
    queryKey: ["preview", url],
    queryFn: () => api.get<LinkPreview>("preview", { url }),
    staleTime: 24 * 60 * 60_000,
    gcTime: 48 * 60 * 60_000,
    retry: false,
  });
}
