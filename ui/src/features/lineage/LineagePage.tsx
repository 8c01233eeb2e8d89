export default function LineagePage() {
  return <p>Explorer coming</p>;
}
